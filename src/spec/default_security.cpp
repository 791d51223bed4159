#include "spec/default_security.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "runtime/capabilities.h"

namespace berth::spec {

namespace fs = std::filesystem;

namespace {

bool in_bounding_set(int cap) {
    return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

void add_unique(std::vector<std::string>& list, const std::string& item) {
    if (!contains(list, item)) list.push_back(item);
}

// A device node's description from its stat, or nullopt for anything else.
std::optional<DeviceNode> node_from_stat(const struct stat& st, std::string path) {
    DeviceNode node;
    switch (st.st_mode & S_IFMT) {
        case S_IFCHR:
            node.type = 'c';
            break;
        case S_IFBLK:
            node.type = 'b';
            break;
        case S_IFIFO:
            node.type = 'p';
            break;
        default:
            return std::nullopt;
    }
    node.path = std::move(path);
    node.major = major(st.st_rdev);
    node.minor = minor(st.st_rdev);
    node.file_mode = st.st_mode & ~S_IFMT;
    node.uid = st.st_uid;
    node.gid = st.st_gid;
    return node;
}

}  // namespace

std::vector<std::string> default_capabilities() {
    return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
            "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
            "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
            "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

std::vector<std::string> host_capabilities() {
    std::vector<std::string> out;
    int last = runtime::last_capability();
    for (const auto& name : runtime::all_capability_names()) {
        auto number = runtime::capability_from_name(name);
        if (number && *number <= last && in_bounding_set(*number)) out.push_back(name);
    }
    return out;
}

Result<std::vector<std::string>> normalize_capabilities(const std::vector<std::string>& names,
                                                        std::string_view field) {
    std::vector<std::string> out;
    std::vector<std::string> available;  // filled on first need
    for (std::string name : names) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (name == "ALL") {
            out.push_back(name);
            continue;
        }
        if (!name.starts_with("CAP_")) name = "CAP_" + name;
        if (!runtime::capability_from_name(name)) {
            return fail(ErrorKind::InvalidArgument,
                        "invalid " + std::string(field) + ": unknown capability: \"" + name + "\"");
        }
        if (available.empty()) available = host_capabilities();
        if (!contains(available, name)) {
            return fail(ErrorKind::InvalidArgument,
                        "invalid " + std::string(field) +
                            ": capability not supported by your kernel or not available in the "
                            "current environment: \"" +
                            name + "\"");
        }
        out.push_back(std::move(name));
    }
    return out;
}

Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& add,
                                                        const std::vector<std::string>& drop,
                                                        bool privileged) {
    if (privileged) return host_capabilities();
    if (add.empty() && drop.empty()) return default_capabilities();
    std::vector<std::string> cap_drop = TRY(normalize_capabilities(drop, "CapDrop"));
    std::vector<std::string> cap_add = TRY(normalize_capabilities(add, "CapAdd"));
    std::vector<std::string> caps;
    if (contains(cap_add, "ALL")) {
        for (const auto& c : host_capabilities())
            if (!contains(cap_drop, c)) caps.push_back(c);
    } else if (contains(cap_drop, "ALL")) {
        for (const auto& c : cap_add)
            add_unique(caps, c);
    } else {
        for (const auto& c : default_capabilities())
            if (!contains(cap_drop, c)) caps.push_back(c);
        for (const auto& c : cap_add)
            add_unique(caps, c);
    }
    return caps;
}

std::vector<std::string> default_masked_paths(const std::string& sys_root) {
    std::vector<std::string> paths = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/sys/devices/virtual/powercap",
        "/sys/firmware",
    };
    // Thermal throttle counters leak what other tenants of the host run (docker masks them too).
    std::error_code ec;
    std::vector<int> cpus;
    for (fs::directory_iterator it(sys_root + "/devices/system/cpu", ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() <= 3 || !name.starts_with("cpu") ||
            !std::all_of(name.begin() + 3, name.end(), [](char c) { return std::isdigit(c); }))
            continue;
        std::error_code exists_ec;
        if (fs::exists(it->path() / "thermal_throttle", exists_ec))
            cpus.push_back(std::stoi(name.substr(3)));
    }
    std::sort(cpus.begin(), cpus.end());
    for (int cpu : cpus)
        paths.push_back("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/thermal_throttle");
    return paths;
}

std::vector<std::string> default_readonly_paths() {
    return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

Json default_device_rules() {
    auto rule = [](bool allow, int major, int minor) {
        return Json{
            {"allow", allow}, {"type", "c"}, {"major", major}, {"minor", minor}, {"access", "rwm"}};
    };
    return Json::array({
        {{"allow", false}, {"access", "rwm"}},
        rule(true, 1, 5),      // /dev/zero
        rule(true, 1, 3),      // /dev/null
        rule(true, 1, 9),      // /dev/urandom
        rule(true, 1, 8),      // /dev/random
        rule(true, 5, 0),      // /dev/tty
        rule(true, 5, 1),      // /dev/console
        rule(false, 10, 229),  // /dev/fuse: only with --device
    });
}

Json device_to_json(const DeviceNode& d) {
    return {{"path", d.path},   {"type", std::string(1, d.type)}, {"major", d.major},
            {"minor", d.minor}, {"fileMode", d.file_mode},        {"uid", d.uid},
            {"gid", d.gid}};
}

Result<std::vector<DeviceNode>> devices_from_path(const std::string& host_path,
                                                  const std::string& container_path) {
    struct stat st {};
    if (::stat(host_path.c_str(), &st) != 0) {
        int err = errno;
        return fail(err == ENOENT ? ErrorKind::NotFound : ErrorKind::InvalidArgument,
                    "error gathering device information while adding custom device \"" + host_path +
                        "\": " + std::strerror(err));
    }
    if (auto node = node_from_stat(st, container_path)) return std::vector<DeviceNode>{*node};
    std::vector<DeviceNode> out;
    if (S_ISDIR(st.st_mode)) {
        std::error_code ec;
        fs::path base = fs::canonical(host_path, ec);
        if (ec) base = host_path;
        for (fs::recursive_directory_iterator it(base, ec), end; !ec && it != end;
             it.increment(ec)) {
            struct stat child {};
            if (::lstat(it->path().c_str(), &child) != 0) continue;
            std::string relative = it->path().string().substr(base.string().size());
            if (auto node = node_from_stat(child, container_path + relative))
                out.push_back(std::move(*node));
        }
    }
    if (out.empty()) {
        return fail(ErrorKind::InvalidArgument,
                    "error gathering device information while adding custom device \"" + host_path +
                        "\": not a device node");
    }
    return out;
}

Result<std::vector<DeviceNode>> host_devices(const std::string& dev) {
    std::vector<DeviceNode> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dev, ec), end;
    if (ec) return fail(ErrorKind::Internal, "list host devices in " + dev + ": " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec)
            return fail(ErrorKind::Internal, "list host devices in " + dev + ": " + ec.message());
        std::string name = it->path().filename().string();
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (name == "pts" || name == "shm" || name == "fd" || name == "mqueue" ||
                name == ".lxc" || name == ".lxd-mounts" || name == ".udev")
                it.disable_recursion_pending();
            continue;
        }
        if (name == "console") continue;
        auto node = node_from_stat(st, it->path().string());
        if (!node || node->type == 'p') continue;
        out.push_back(std::move(*node));
    }
    return out;
}

}  // namespace berth::spec
