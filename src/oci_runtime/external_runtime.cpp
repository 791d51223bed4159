#include "oci_runtime/external_runtime.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "base/child_process.h"
#include "base/fs.h"
#include "base/socket_address.h"
#include "runtime/cgroups/cgroup_manager.h"
#include "runtime/process_setup.h"
#include "runtime/sync_socket.h"

namespace berth::oci_runtime {
namespace {

std::string base_name(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::vector<std::string> strings_of(const Json& value) {
    std::vector<std::string> out;
    if (value.is_array())
        for (const auto& v : value)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

// The unix socket a runtime sends a terminal's master to (runc's --console-socket protocol).
struct ConsoleSocket {
    UniqueFd listener;
    UniqueFd dir;      // holds the directory for /proc/<pid>/fd/<dir>/… (a long path)
    std::string file;  // the socket file, unlinked when done
    std::string path;  // as the runtime reaches it

    ~ConsoleSocket() {
        if (!file.empty()) ::unlink(file.c_str());
    }
};

Result<void> listen_console(const std::string& file, ConsoleSocket& socket) {
    sockaddr_un address{};
    TRY(unix_socket_address(file, address, socket.dir));
    socket.listener.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!socket.listener.valid()) return fail_errno("socket");
    ::unlink(file.c_str());
    if (::bind(socket.listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return fail_errno("bind " + file);
    socket.file = file;
    if (::listen(socket.listener.get(), 1) < 0) return fail_errno("listen " + file);
    // The runtime is another process: /proc/self would be its own.
    socket.path = socket.dir.valid()
                      ? "/proc/" + std::to_string(::getpid()) + "/fd/" +
                            std::to_string(socket.dir.get()) + file.substr(file.rfind('/'))
                      : file;
    return {};
}

// Once the runtime has exited, its connection (if it made one) waits in the backlog.
Result<UniqueFd> receive_console(const ConsoleSocket& socket) {
    UniqueFd connection(::accept4(socket.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid()) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return fail(ErrorKind::Internal, "the runtime sent no terminal");
        return fail_errno("accept on the console socket");
    }
    return TRY_CTX(runtime::receive_fd(connection.get()), "receive the terminal from the runtime");
}

Result<pid_t> read_pid_file(const std::string& path) {
    auto text = TRY(read_file(path));
    pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
    if (pid <= 0) return fail(ErrorKind::Internal, "the runtime wrote no pid to " + path);
    return pid;
}

// The container's cgroup, from linux.cgroupsPath as the runtime resolved it (an absolute path
// is the same for every process; a relative one is below the caller's cgroup, as for the
// runtime the monitor ran).
Result<std::unique_ptr<runtime::cgroups::CgroupManager>> container_cgroup(const std::string& bundle,
                                                                          const std::string& id) {
    auto spec = TRY(read_json_file(join_path(bundle, "config.json")));
    std::string cgroups_path;
    if (auto linux_ = spec.find("linux"); linux_ != spec.end() && linux_->is_object())
        TRY(get_optional(*linux_, "cgroupsPath", cgroups_path, "config.json linux"));
    namespace cgroups = runtime::cgroups;
    auto host = TRY(cgroups::probe_cgroup_host());
    return cgroups::make_cgroup_manager(host, TRY(cgroups::resolve_cgroup_path(cgroups_path, id)));
}

}  // namespace

std::vector<std::string> runtime_command(const OciRuntimeConfig& config,
                                         const std::vector<std::string>& subcommand) {
    std::vector<std::string> argv{config.path};
    argv.insert(argv.end(), config.args.begin(), config.args.end());
    argv.push_back("--root");
    argv.push_back(config.root);
    argv.insert(argv.end(), subcommand.begin(), subcommand.end());
    return argv;
}

Result<Json> exec_process(const Json& container_process, const ExecRequest& request) {
    if (request.args.empty())
        return fail(ErrorKind::InvalidArgument, "exec: a command is required");
    Json p = container_process.is_object() ? container_process : Json::object();
    p.erase("consoleSize");
    p["terminal"] = request.terminal;
    p["args"] = request.args;
    auto env = strings_of(p.value("env", Json()));
    for (const auto& e : request.env) {
        if (e.find('=') == std::string::npos)
            return fail(ErrorKind::InvalidArgument,
                        "exec: environment \"" + e + "\" is not KEY=value");
        runtime::set_env(env, e);
    }
    p["env"] = env;
    if (!request.cwd.empty()) p["cwd"] = request.cwd;
    if (!p.contains("cwd") || !p["cwd"].is_string()) p["cwd"] = "/";
    if (!p.contains("user") || !p["user"].is_object()) p["user"] = {{"uid", 0}, {"gid", 0}};
    Json& user = p["user"];
    if (!request.user.empty()) {
        auto colon = request.user.find(':');
        user["uid"] = TRY(runtime::parse_id(request.user.substr(0, colon), "user"));
        if (colon != std::string::npos)
            user["gid"] = TRY(runtime::parse_id(request.user.substr(colon + 1), "group"));
        // The user's groups only: none of the container process's stay.
        Json gids = Json::array();
        for (const auto& g : request.additional_gids)
            gids.push_back(TRY(runtime::parse_id(g, "group")));
        user["additionalGids"] = std::move(gids);
    }
    if (request.no_new_privileges) p["noNewPrivileges"] = true;
    if (!request.cap_add.empty()) {
        if (!p.contains("capabilities") || !p["capabilities"].is_object())
            p["capabilities"] = Json::object();
        // The sets docker's privileged exec fills.
        for (const char* set : {"bounding", "effective", "permitted"}) {
            auto caps = strings_of(p["capabilities"].value(set, Json()));
            for (const auto& cap : request.cap_add)
                if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(cap);
            p["capabilities"][set] = caps;
        }
    }
    return p;
}

std::string last_logged_error(std::string_view log_text) {
    std::string last_line;
    size_t end = log_text.size();
    while (end > 0) {
        size_t start = log_text.rfind('\n', end - 1);
        start = start == std::string_view::npos ? 0 : start + 1;
        std::string_view line = log_text.substr(start, end - start);
        end = start == 0 ? 0 : start - 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\n'))
            line.remove_suffix(1);
        if (line.empty()) continue;
        auto doc = parse_json(line, "runtime log").value_or(Json());
        if (doc.is_object()) {
            auto level = doc.find("level");
            auto msg = doc.find("msg");
            if (level != doc.end() && level->is_string() && msg != doc.end() && msg->is_string() &&
                (*level == "error" || *level == "fatal"))
                return msg->get<std::string>();
        } else if (last_line.empty()) {
            last_line = std::string(line);
        }
    }
    return last_line;
}

Result<std::vector<pid_t>> parse_ps_json(std::string_view text) {
    auto doc = TRY(parse_json(text, "the runtime's ps output"));
    std::vector<pid_t> pids;
    if (doc.is_null()) return pids;  // runc prints null for none
    if (!doc.is_array())
        return fail(ErrorKind::Internal, "the runtime's ps output is not a list of pids");
    for (const auto& pid : doc) {
        if (!pid.is_number_integer())
            return fail(ErrorKind::Internal, "the runtime's ps output is not a list of pids");
        pids.push_back(pid.get<pid_t>());
    }
    return pids;
}

Result<std::string> ExternalRuntime::call(const std::vector<std::string>& subcommand) const {
    return TRY_CTX(run_and_capture(runtime_command(config_, subcommand)),
                   base_name(config_.path) + " " + subcommand.front());
}

Result<StartedProcess> ExternalRuntime::start(std::vector<std::string> subcommand,
                                              const std::string& work_dir,
                                              const std::string& pid_file, bool terminal) const {
    std::string what = base_name(config_.path) + " " + subcommand.front();
    std::string log_file = join_path(work_dir, "runtime-log.json");
    ::unlink(log_file.c_str());
    ::unlink(pid_file.c_str());
    ConsoleSocket console;
    if (terminal) {
        TRY_CTX(listen_console(join_path(work_dir, "console.sock"), console), what);
        subcommand.push_back("--console-socket");
        subcommand.push_back(console.path);
    }
    subcommand.push_back(id_);
    subcommand.insert(subcommand.begin(), {"--log", log_file, "--log-format", "json"});
    auto child = TRY_CTX(spawn(runtime_command(config_, subcommand)), what);
    int status = TRY_CTX(child.wait(), what);
    if (status != 0) {
        auto logged = read_file(log_file);
        std::string message = logged ? last_logged_error(*logged) : "";
        if (message.empty()) message = "exit code " + std::to_string(exit_code_of(status));
        return fail(ErrorKind::Internal, what + ": " + message);
    }
    StartedProcess process;
    process.pid = TRY_CTX(read_pid_file(pid_file), what);
    if (terminal) process.terminal = TRY_CTX(receive_console(console), what);
    return process;
}

Result<StartedProcess> ExternalRuntime::run(const RunRequest& request) {
    std::string pid_file = join_path(request.work_dir, "container.pid");
    auto started = start({"run", "--detach", "--bundle", bundle_, "--pid-file", pid_file},
                         request.work_dir, pid_file, request.terminal);
    // A failed start must not leave state behind that the next start would trip over.
    if (!started)
        if (auto removed = remove(); !removed) log_.debug(removed.error().message());
    return started;
}

Result<StartedProcess> ExternalRuntime::exec(const ExecRequest& request) {
    auto spec = TRY(read_json_file(join_path(bundle_, "config.json")));
    Json process = TRY(exec_process(spec.value("process", Json::object()), request));
    std::string process_file = join_path(request.work_dir, "process.json");
    TRY(write_file(process_file, process.dump(), 0600));
    std::string pid_file = join_path(request.work_dir, "pid");
    return start({"exec", "--detach", "--pid-file", pid_file, "--process", process_file},
                 request.work_dir, pid_file, request.terminal);
}

Result<void> ExternalRuntime::kill(int signal) {
    TRY(call({"kill", id_, std::to_string(signal)}));
    return {};
}

Result<void> ExternalRuntime::pause() {
    TRY(call({"pause", id_}));
    return {};
}

Result<void> ExternalRuntime::resume() {
    TRY(call({"resume", id_}));
    return {};
}

Result<void> ExternalRuntime::update(const Json& resources) {
    // Passed as a file next to the bundle's config.json: runc and crun both read --resources.
    std::string file = join_path(bundle_, "update-resources.json");
    TRY(write_file(file, resources.dump(), 0600));
    auto updated = call({"update", "--resources", file, id_});
    (void)::unlink(file.c_str());
    TRY(updated);
    return {};
}

Result<std::vector<pid_t>> ExternalRuntime::pids() {
    return parse_ps_json(TRY(call({"ps", "--format", "json", id_})));
}

Result<Json> ExternalRuntime::stats() {
    auto cgroup = TRY_CTX(container_cgroup(bundle_, id_), "the container's cgroup");
    return runtime::cgroups::stats_event_json(id_, TRY(cgroup->stats()));
}

Result<uint64_t> ExternalRuntime::oom_kills() {
    auto cgroup = TRY_CTX(container_cgroup(bundle_, id_), "the container's cgroup");
    if (!cgroup->exists()) return uint64_t{0};
    return cgroup->oom_kill_count();
}

Result<void> ExternalRuntime::remove() {
    TRY(call({"delete", "--force", id_}));
    return {};
}

}  // namespace berth::oci_runtime
