// GET/HEAD /_ping, GET /version and GET /info: what the docker CLI asks before anything else
// (ping negotiates the API version) and prints for `docker version` / `docker info`.
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/routes.h"
#include "base/fs.h"
#include "image/manifest.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif

namespace berth::api {
namespace {

// Unused but matching dockerd: the build date is not recorded for reproducible builds.
constexpr const char* kBuildTime = "";

struct Uname {
    std::string kernel;
    std::string machine;
};

Uname uname_facts() {
    utsname u{};
    if (::uname(&u) != 0) return {};
    return {u.release, u.machine};
}

// PRETTY_NAME and VERSION_ID from /etc/os-release, as dockerd reports them.
std::pair<std::string, std::string> os_release() {
    std::ifstream in("/etc/os-release");
    std::string line, pretty = "Linux", version;
    auto unquote = [](std::string value) {
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\''))
            value = value.substr(1, value.size() - 2);
        return value;
    };
    while (std::getline(in, line)) {
        if (line.starts_with("PRETTY_NAME=")) pretty = unquote(line.substr(12));
        if (line.starts_with("VERSION_ID=")) version = unquote(line.substr(11));
    }
    return {pretty, version};
}

std::string cgroup_version() {
    struct statfs st {};
    constexpr long kCgroup2Magic = 0x63677270;
    if (::statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == kCgroup2Magic) return "2";
    return "1";
}

// dockerd names the file system under its root the way its graphdriver package does.
std::string backing_filesystem(const std::string& root) {
    struct statfs st {};
    if (::statfs(root.c_str(), &st) != 0) return "<unknown>";
    switch (static_cast<unsigned long>(st.f_type)) {
        case 0xEF53:
            return "extfs";
        case 0x58465342:
            return "xfs";
        case 0x9123683E:
            return "btrfs";
        case 0x01021994:
            return "tmpfs";
        case 0x2FC12FC1:
            return "zfs";
        case 0x794C7630:
            return "overlayfs";
        default:
            return "<unknown>";
    }
}

// Open descriptors and threads: dockerd's NFd and NGoroutines, the nearest thing here.
int count_entries(const char* dir) {
    std::error_code ec;
    int count = 0;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        count++;
    return count;
}

std::string hostname() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()) %
                 std::chrono::seconds(1);
    std::tm tm{};
    ::gmtime_r(&seconds, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09lldZ", static_cast<long long>(nanos.count()));
    return std::string(buffer) + fraction;
}

Result<void> ping(Exchange& exchange) {
    return exchange.respond(200, "text/plain; charset=utf-8", "OK",
                            {{"Api-Version", kMaxApiVersion.str()},
                             {"Builder-Version", "1"},
                             {"Docker-Experimental", "false"},
                             {"OSType", "linux"},
                             {"Cache-Control", "no-cache, no-store, must-revalidate"},
                             {"Pragma", "no-cache"}});
}

Json version_document() {
    Uname u = uname_facts();
    std::string arch = image::host_platform().architecture;
    Json details = {{"ApiVersion", kMaxApiVersion.str()},
                    {"Arch", arch},
                    {"BuildTime", kBuildTime},
                    {"Experimental", "false"},
                    {"GitCommit", BERTH_GIT_COMMIT},
                    {"GoVersion", "n/a"},
                    {"KernelVersion", u.kernel},
                    {"MinAPIVersion", kMinApiVersion.str()},
                    {"Os", "linux"}};
    Json version = {
        {"Platform", {{"Name", "berth"}}},
        {"Components",
         Json::array({{{"Name", "Engine"}, {"Version", BERTH_VERSION}, {"Details", details}}})},
        {"Version", BERTH_VERSION},
        {"ApiVersion", kMaxApiVersion.str()},
        {"MinAPIVersion", kMinApiVersion.str()},
        {"GitCommit", BERTH_GIT_COMMIT},
        {"GoVersion", "n/a"},
        {"Os", "linux"},
        {"Arch", arch},
        {"KernelVersion", u.kernel},
        {"BuildTime", kBuildTime}};
    return version;
}

// docker's {"runc": {"path": "runc"}, "crun": {"path": "/usr/bin/crun", "runtimeArgs": […]}}.
Json runtimes_document(const Daemon& daemon) {
    Json runtimes = Json::object();
    if (!daemon.engine) return runtimes;
    for (const auto& [name, runtime] : daemon.engine->runtimes().list()) {
        Json entry = {{"path", runtime.path}};
        if (!runtime.args.empty()) entry["runtimeArgs"] = runtime.args;
        runtimes[name] = std::move(entry);
    }
    return runtimes;
}

// long: one field of docker's GET /info after another.
Result<Json> info_document(const Daemon& daemon) {
    Uname u = uname_facts();
    auto [os_name, os_version] = os_release();
    size_t images = TRY(daemon.images->list()).size();
    long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
    Json info = {
        {"ID", daemon.engine_id},
        {"Containers", 0},
        {"ContainersRunning", 0},
        {"ContainersPaused", 0},
        {"ContainersStopped", 0},
        {"Images", images},
        {"Driver", "overlay2"},
        {"DriverStatus",
         Json::array(
             {Json::array({"Backing Filesystem", backing_filesystem(daemon.root)}),
              Json::array({"Supports d_type", "true"}), Json::array({"Using metacopy", "false"}),
              Json::array({"Native Overlay Diff", "true"}), Json::array({"userxattr", "false"})})},
        {"Plugins",
         {{"Volume", Json::array({"local"})},
          {"Network", Json::array({"host", "null"})},
          {"Authorization", nullptr},
          {"Log", Json::array({"json-file"})}}},
        {"MemoryLimit", true},
        {"SwapLimit", true},
        {"CpuCfsPeriod", true},
        {"CpuCfsQuota", true},
        {"CPUShares", true},
        {"CPUSet", true},
        {"PidsLimit", true},
        {"IPv4Forwarding", true},
        {"Debug", daemon.debug},
        {"NFd", count_entries("/proc/self/fd")},
        {"OomKillDisable", false},
        {"NGoroutines", count_entries("/proc/self/task")},
        {"SystemTime", rfc3339_now()},
        {"LoggingDriver", "json-file"},
        {"CgroupDriver", "cgroupfs"},
        {"CgroupVersion", cgroup_version()},
        {"NEventsListener", 0},
        {"KernelVersion", u.kernel},
        {"OperatingSystem", os_name},
        {"OSVersion", os_version},
        {"OSType", "linux"},
        {"Architecture", u.machine},
        {"IndexServerAddress", "https://index.docker.io/v1/"},
        {"RegistryConfig",
         {{"InsecureRegistryCIDRs", Json::array({"127.0.0.0/8"})},
          {"IndexConfigs",
           {{"docker.io",
             {{"Name", "docker.io"},
              {"Mirrors", Json::array()},
              {"Secure", true},
              {"Official", true}}}}},
          {"Mirrors", Json::array()}}},
        {"NCPU", std::thread::hardware_concurrency()},
        {"MemTotal", static_cast<int64_t>(pages) * page_size},
        {"GenericResources", nullptr},
        {"DockerRootDir", daemon.root},
        {"HttpProxy", ""},
        {"HttpsProxy", ""},
        {"NoProxy", ""},
        {"Name", hostname()},
        {"Labels", Json::array()},
        {"ExperimentalBuild", false},
        {"ServerVersion", BERTH_VERSION},
        {"Runtimes", runtimes_document(daemon)},
        {"DefaultRuntime", daemon.engine ? daemon.engine->runtimes().default_name()
                                         : std::string(oci_runtime::kBuiltinRuntimeName)},
        {"Swarm",
         {{"NodeID", ""},
          {"NodeAddr", ""},
          {"LocalNodeState", "inactive"},
          {"ControlAvailable", false},
          {"Error", ""},
          {"RemoteManagers", nullptr}}},
        {"LiveRestoreEnabled", true},
        {"Isolation", ""},
        {"InitBinary", ""},
        {"ContainerdCommit", {{"ID", ""}}},
        {"RuncCommit", {{"ID", BERTH_GIT_COMMIT}}},
        {"InitCommit", {{"ID", ""}}},
        {"SecurityOptions", Json::array({"name=seccomp,profile=builtin"})},
        {"CDISpecDirs", Json::array()},
        {"Warnings", Json::array()},
    };
    return info;
}

}  // namespace

Result<void> respond_json(Exchange& exchange, int status, const Json& body) {
    return exchange.respond(status, "application/json",
                            body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

namespace {

// A UUID (berth's, dockerd's) or an older dockerd's key ID ("ABCD:EFGH:…"): short, and only
// letters, digits, '-' and ':'.
bool is_engine_id(std::string_view id) {
    return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':';
    });
}

}  // namespace

Result<std::string> load_engine_id(const std::string& root,
                                   const std::function<void(std::string_view)>& warn) {
    std::string path = root + "/engine-id";
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        std::string id = st.st_size <= 4096 ? read_file(path).value_or("") : "";
        while (!id.empty() && (id.back() == '\n' || id.back() == ' '))
            id.pop_back();
        if (is_engine_id(id)) return id;
        if (warn) warn("damaged " + path + " (not an ID): a new engine ID is made");
    }
    std::string id = TRY_CTX(read_file("/proc/sys/kernel/random/uuid"), "make an engine ID");
    while (!id.empty() && id.back() == '\n')
        id.pop_back();
    TRY_CTX(write_file_atomic(path, id + "\n"), "save the engine ID");
    return id;
}

void add_system_routes(Router& router, const Daemon& daemon) {
    router.add("GET", "/_ping", ping);
    router.add("GET", "/version",
               [](Exchange& exchange) { return respond_json(exchange, 200, version_document()); });
    router.add("GET", "/info", [&daemon](Exchange& exchange) -> Result<void> {
        return respond_json(exchange, 200, TRY(info_document(daemon)));
    });
    // `docker system prune` asks these too: berthd has no user networks and no build cache
    // yet, so there is nothing to delete (answered as dockerd does when it finds nothing).
    router.add("POST", "/networks/prune", [](Exchange& exchange) {
        return respond_json(exchange, 200, {{"NetworksDeleted", nullptr}});
    });
    router.add("POST", "/build/prune", [](Exchange& exchange) {
        return respond_json(exchange, 200, {{"CachesDeleted", nullptr}, {"SpaceReclaimed", 0}});
    });
}

}  // namespace berth::api
