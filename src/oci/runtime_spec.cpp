#include "oci/runtime_spec.h"

#include <sched.h>

#include <set>

#include "base/fs.h"

namespace berth::oci {

namespace {

// Error for a field of the wrong shape: "config.json: process.user.uid: must be a number".
std::unexpected<Error> bad(std::string_view where, std::string_view why) {
    return fail(ErrorKind::InvalidArgument, std::string(where) + ": " + std::string(why));
}

Result<const Json*> object_field(const Json& obj, std::string_view key, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_object())
        return bad(std::string(where) + "." + std::string(key), "must be an object");
    return &*it;
}

Result<const Json*> array_field(const Json& obj, std::string_view key, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array())
        return bad(std::string(where) + "." + std::string(key), "must be an array");
    return &*it;
}

Json raw_field(const Json& obj, std::string_view key) {
    auto it = obj.find(key);
    return it == obj.end() ? Json() : *it;
}

Result<User> parse_user(const Json& j, std::string_view where) {
    User user;
    TRY(get_optional(j, "uid", user.uid, where));
    TRY(get_optional(j, "gid", user.gid, where));
    mode_t umask = 0;
    if (j.contains("umask") && !j["umask"].is_null()) {
        TRY(get_optional(j, "umask", umask, where));
        user.umask = umask;
    }
    TRY(get_optional(j, "additionalGids", user.additional_gids, where));
    if (j.contains("username")) return bad(std::string(where) + ".username", "is for Windows only");
    return user;
}

Result<Capabilities> parse_capabilities(const Json& j, std::string_view where) {
    Capabilities caps;
    TRY(get_optional(j, "bounding", caps.bounding, where));
    TRY(get_optional(j, "effective", caps.effective, where));
    TRY(get_optional(j, "inheritable", caps.inheritable, where));
    TRY(get_optional(j, "permitted", caps.permitted, where));
    TRY(get_optional(j, "ambient", caps.ambient, where));
    return caps;
}

Result<std::vector<Hook>> parse_hooks(const Json& j, std::string_view key) {
    std::vector<Hook> hooks;
    std::string where = "hooks." + std::string(key);
    const Json* list = TRY(array_field(j, key, "hooks"));
    if (list == nullptr) return hooks;
    for (size_t i = 0; i < list->size(); ++i) {
        const Json& h = (*list)[i];
        std::string at = where + "[" + std::to_string(i) + "]";
        if (!h.is_object()) return bad(at, "must be an object");
        Hook hook;
        TRY(get_optional(h, "path", hook.path, at));
        TRY(get_optional(h, "args", hook.args, at));
        TRY(get_optional(h, "env", hook.env, at));
        int timeout = 0;
        if (h.contains("timeout")) {
            TRY(get_optional(h, "timeout", timeout, at));
            hook.timeout = timeout;
        }
        hooks.push_back(std::move(hook));
    }
    return hooks;
}

Result<std::vector<IdMapping>> parse_id_mappings(const Json& j, std::string_view key) {
    std::vector<IdMapping> out;
    const Json* list = TRY(array_field(j, key, "linux"));
    if (list == nullptr) return out;
    for (size_t i = 0; i < list->size(); ++i) {
        std::string at = "linux." + std::string(key) + "[" + std::to_string(i) + "]";
        const Json& m = (*list)[i];
        if (!m.is_object()) return bad(at, "must be an object");
        IdMapping mapping;
        TRY(get_optional(m, "containerID", mapping.container_id, at));
        TRY(get_optional(m, "hostID", mapping.host_id, at));
        TRY(get_optional(m, "size", mapping.size, at));
        out.push_back(mapping);
    }
    return out;
}

Result<Linux> parse_linux(const Json& j) {
    Linux linux;
    if (const Json* list = TRY(array_field(j, "namespaces", "linux"))) {
        for (size_t i = 0; i < list->size(); ++i) {
            std::string at = "linux.namespaces[" + std::to_string(i) + "]";
            const Json& n = (*list)[i];
            if (!n.is_object()) return bad(at, "must be an object");
            Namespace ns;
            TRY(get_optional(n, "type", ns.type, at));
            TRY(get_optional(n, "path", ns.path, at));
            linux.namespaces.push_back(std::move(ns));
        }
    }
    linux.uid_mappings = TRY(parse_id_mappings(j, "uidMappings"));
    linux.gid_mappings = TRY(parse_id_mappings(j, "gidMappings"));
    if (const Json* offsets = TRY(object_field(j, "timeOffsets", "linux"))) {
        for (const auto& [clock, value] : offsets->items()) {
            std::string at = "linux.timeOffsets." + clock;
            if (!value.is_object()) return bad(at, "must be an object");
            TimeOffset offset;
            TRY(get_optional(value, "secs", offset.secs, at));
            TRY(get_optional(value, "nanosecs", offset.nanosecs, at));
            linux.time_offsets[clock] = offset;
        }
    }
    if (const Json* list = TRY(array_field(j, "devices", "linux"))) {
        for (size_t i = 0; i < list->size(); ++i) {
            std::string at = "linux.devices[" + std::to_string(i) + "]";
            const Json& d = (*list)[i];
            if (!d.is_object()) return bad(at, "must be an object");
            Device dev;
            TRY(get_optional(d, "type", dev.type, at));
            TRY(get_optional(d, "path", dev.path, at));
            TRY(get_optional(d, "major", dev.major, at));
            TRY(get_optional(d, "minor", dev.minor, at));
            if (d.contains("fileMode") && !d["fileMode"].is_null()) {
                mode_t mode = 0;
                TRY(get_optional(d, "fileMode", mode, at));
                dev.file_mode = mode;
            }
            if (d.contains("uid") && !d["uid"].is_null()) {
                uid_t uid = 0;
                TRY(get_optional(d, "uid", uid, at));
                dev.uid = uid;
            }
            if (d.contains("gid") && !d["gid"].is_null()) {
                gid_t gid = 0;
                TRY(get_optional(d, "gid", gid, at));
                dev.gid = gid;
            }
            linux.devices.push_back(std::move(dev));
        }
    }
    TRY(get_optional(j, "cgroupsPath", linux.cgroups_path, "linux"));
    TRY(get_optional(j, "rootfsPropagation", linux.rootfs_propagation, "linux"));
    TRY(get_optional(j, "maskedPaths", linux.masked_paths, "linux"));
    TRY(get_optional(j, "readonlyPaths", linux.readonly_paths, "linux"));
    TRY(get_optional(j, "sysctl", linux.sysctl, "linux"));
    TRY(get_optional(j, "mountLabel", linux.mount_label, "linux"));
    linux.resources = raw_field(j, "resources");
    linux.seccomp = raw_field(j, "seccomp");
    linux.intel_rdt = raw_field(j, "intelRdt");
    linux.personality = raw_field(j, "personality");
    linux.memory_policy = raw_field(j, "memoryPolicy");
    linux.net_devices = raw_field(j, "netDevices");
    return linux;
}

// A sysctl must belong to a namespace of the container's own, or it would change the host.
Result<void> validate_sysctls(const Spec& spec) {
    auto owns = [&](std::string_view type) { return spec.linux.find_namespace(type) != nullptr; };
    static const std::set<std::string> ipc_sysctls = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (const auto& [key, value] : spec.linux.sysctl) {
        std::string where = "linux.sysctl." + key;
        if (ipc_sysctls.contains(key) || key.rfind("fs.mqueue.", 0) == 0) {
            if (!owns("ipc")) return bad(where, "needs an ipc namespace of the container's own");
        } else if (key.rfind("net.", 0) == 0) {
            if (!owns("network"))
                return bad(where, "needs a network namespace of the container's own");
        } else if (key == "kernel.hostname" || key == "kernel.domainname") {
            if (!owns("uts")) return bad(where, "needs a uts namespace of the container's own");
        } else {
            return bad(where, "is not in a separate kernel namespace");
        }
    }
    return {};
}

}  // namespace

const Namespace* Linux::find_namespace(std::string_view type) const {
    for (const auto& ns : namespaces)
        if (ns.type == type) return &ns;
    return nullptr;
}

int namespace_clone_flag(std::string_view type) {
    if (type == "pid") return CLONE_NEWPID;
    if (type == "network") return CLONE_NEWNET;
    if (type == "mount") return CLONE_NEWNS;
    if (type == "ipc") return CLONE_NEWIPC;
    if (type == "uts") return CLONE_NEWUTS;
    if (type == "user") return CLONE_NEWUSER;
    if (type == "cgroup") return CLONE_NEWCGROUP;
    if (type == "time") return CLONE_NEWTIME;
    return 0;
}

Result<Process> parse_process(const Json& j) {
    const std::string where = "process";
    if (!j.is_object()) return bad(where, "must be an object");
    Process p;
    TRY(get_optional(j, "terminal", p.terminal, where));
    if (const Json* size = TRY(object_field(j, "consoleSize", where))) {
        ConsoleSize cs;
        TRY(get_optional(*size, "height", cs.height, "process.consoleSize"));
        TRY(get_optional(*size, "width", cs.width, "process.consoleSize"));
        p.console_size = cs;
    }
    if (const Json* user = TRY(object_field(j, "user", where))) {
        p.user = TRY(parse_user(*user, "process.user"));
    }
    TRY(get_optional(j, "args", p.args, where));
    TRY(get_optional(j, "commandLine", p.command_line, where));
    TRY(get_optional(j, "env", p.env, where));
    TRY(get_optional(j, "cwd", p.cwd, where));
    if (const Json* caps = TRY(object_field(j, "capabilities", where))) {
        p.capabilities = TRY(parse_capabilities(*caps, "process.capabilities"));
    }
    if (const Json* list = TRY(array_field(j, "rlimits", where))) {
        for (size_t i = 0; i < list->size(); ++i) {
            std::string at = "process.rlimits[" + std::to_string(i) + "]";
            const Json& r = (*list)[i];
            if (!r.is_object()) return bad(at, "must be an object");
            Rlimit rl;
            TRY(get_optional(r, "type", rl.type, at));
            TRY(get_optional(r, "hard", rl.hard, at));
            TRY(get_optional(r, "soft", rl.soft, at));
            p.rlimits.push_back(std::move(rl));
        }
    }
    TRY(get_optional(j, "noNewPrivileges", p.no_new_privileges, where));
    TRY(get_optional(j, "apparmorProfile", p.apparmor_profile, where));
    if (j.contains("oomScoreAdj") && !j["oomScoreAdj"].is_null()) {
        int adj = 0;
        TRY(get_optional(j, "oomScoreAdj", adj, where));
        p.oom_score_adj = adj;
    }
    TRY(get_optional(j, "selinuxLabel", p.selinux_label, where));
    p.io_priority = raw_field(j, "ioPriority");
    p.scheduler = raw_field(j, "scheduler");
    return p;
}

Result<Spec> parse_spec(const Json& j) {
    if (!j.is_object()) return bad("config", "must be a JSON object");
    Spec spec;
    TRY(get_optional(j, "ociVersion", spec.oci_version, "config"));
    TRY(get_optional(j, "hostname", spec.hostname, "config"));
    TRY(get_optional(j, "domainname", spec.domainname, "config"));
    if (auto it = j.find("process"); it != j.end() && !it->is_null()) {
        spec.process = TRY(parse_process(*it));
    }
    if (const Json* root = TRY(object_field(j, "root", "config"))) {
        TRY(get_optional(*root, "path", spec.root.path, "root"));
        TRY(get_optional(*root, "readonly", spec.root.readonly, "root"));
    }
    if (const Json* list = TRY(array_field(j, "mounts", "config"))) {
        for (size_t i = 0; i < list->size(); ++i) {
            std::string at = "mounts[" + std::to_string(i) + "]";
            const Json& m = (*list)[i];
            if (!m.is_object()) return bad(at, "must be an object");
            Mount mount;
            TRY(get_optional(m, "destination", mount.destination, at));
            TRY(get_optional(m, "type", mount.type, at));
            TRY(get_optional(m, "source", mount.source, at));
            TRY(get_optional(m, "options", mount.options, at));
            mount.uid_mappings = raw_field(m, "uidMappings");
            mount.gid_mappings = raw_field(m, "gidMappings");
            spec.mounts.push_back(std::move(mount));
        }
    }
    if (const Json* hooks = TRY(object_field(j, "hooks", "config"))) {
        spec.hooks.prestart = TRY(parse_hooks(*hooks, "prestart"));
        spec.hooks.create_runtime = TRY(parse_hooks(*hooks, "createRuntime"));
        spec.hooks.create_container = TRY(parse_hooks(*hooks, "createContainer"));
        spec.hooks.start_container = TRY(parse_hooks(*hooks, "startContainer"));
        spec.hooks.poststart = TRY(parse_hooks(*hooks, "poststart"));
        spec.hooks.poststop = TRY(parse_hooks(*hooks, "poststop"));
    }
    TRY(get_optional(j, "annotations", spec.annotations, "config"));
    if (const Json* linux = TRY(object_field(j, "linux", "config"))) {
        spec.linux = TRY(parse_linux(*linux));
    }
    for (const char* other : {"windows", "solaris", "vm", "zos"}) {
        if (j.contains(other)) return bad(other, "is not supported on Linux");
    }
    TRY(validate(spec));
    return spec;
}

Result<Spec> load_spec(const std::string& bundle_dir) {
    std::string path = join_path(bundle_dir, "config.json");
    auto doc = TRY(read_json_file(path));
    return TRY_CTX(parse_spec(doc), "config.json");
}

Result<void> validate_process(const Process& p) {
    if (p.args.empty()) return bad("process.args", "must not be empty");
    if (p.cwd.empty() || p.cwd.front() != '/')
        return bad("process.cwd", "must be an absolute path");
    for (const auto& e : p.env) {
        if (e.find('=') == std::string::npos || e.front() == '=')
            return bad("process.env", "\"" + e + "\" is not of the form KEY=value");
    }
    for (const auto& r : p.rlimits) {
        if (r.type.rfind("RLIMIT_", 0) != 0)
            return bad("process.rlimits", "unknown type " + r.type);
        if (r.soft > r.hard)
            return bad("process.rlimits", r.type + ": soft limit exceeds hard limit");
    }
    if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000))
        return bad("process.oomScoreAdj", "must be between -1000 and 1000");
    return {};
}

Result<void> validate(const Spec& spec) {
    if (spec.oci_version.empty()) return bad("ociVersion", "is required");
    if (spec.oci_version.rfind("1.", 0) != 0)
        return bad("ociVersion", "unsupported version " + spec.oci_version + " (1.x expected)");
    if (spec.root.path.empty()) return bad("root.path", "is required");
    if (spec.process) TRY(validate_process(*spec.process));
    std::set<std::string> seen;
    for (const auto& ns : spec.linux.namespaces) {
        if (namespace_clone_flag(ns.type) == 0)
            return bad("linux.namespaces", "unknown namespace type \"" + ns.type + "\"");
        if (!seen.insert(ns.type).second)
            return bad("linux.namespaces", "namespace \"" + ns.type + "\" listed twice");
        if (!ns.path.empty() && ns.path.front() != '/')
            return bad("linux.namespaces", ns.type + " path must be absolute");
    }
    const Namespace* user_ns = spec.linux.find_namespace("user");
    bool new_user_ns = user_ns != nullptr && user_ns->path.empty();
    if (!new_user_ns && (!spec.linux.uid_mappings.empty() || !spec.linux.gid_mappings.empty()))
        return bad("linux.uidMappings", "needs a new user namespace");
    if (new_user_ns && (spec.linux.uid_mappings.empty() || spec.linux.gid_mappings.empty()))
        return bad("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
    if (!spec.hostname.empty()) {
        // A uts namespace of the container's own, new or joined by path (runc accepts both).
        if (spec.linux.find_namespace("uts") == nullptr)
            return bad("hostname", "setting the hostname needs a uts namespace");
    }
    if (!spec.linux.time_offsets.empty()) {
        const Namespace* time = spec.linux.find_namespace("time");
        if (time == nullptr || !time->path.empty())
            return bad("linux.timeOffsets", "needs a new time namespace");
        for (const auto& [clock, _] : spec.linux.time_offsets)
            if (clock != "monotonic" && clock != "boottime")
                return bad("linux.timeOffsets", "unknown clock \"" + clock + "\"");
    }
    for (const auto& m : spec.mounts) {
        if (m.destination.empty() || m.destination.front() != '/')
            return bad("mounts", "destination \"" + m.destination + "\" must be an absolute path");
    }
    for (const auto& d : spec.linux.devices) {
        if (d.path.empty() || d.path.front() != '/')
            return bad("linux.devices", "path \"" + d.path + "\" must be absolute");
        if (d.type != "c" && d.type != "b" && d.type != "u" && d.type != "p")
            return bad("linux.devices", d.path + ": unknown type \"" + d.type + "\"");
    }
    TRY(validate_sysctls(spec));
    const std::set<std::string> propagations = {"",         "shared",     "rshared",
                                                "slave",    "rslave",     "private",
                                                "rprivate", "unbindable", "runbindable"};
    if (!propagations.contains(spec.linux.rootfs_propagation))
        return bad("linux.rootfsPropagation",
                   "unknown value \"" + spec.linux.rootfs_propagation + "\"");
    for (const auto& hook_list :
         {&spec.hooks.prestart, &spec.hooks.create_runtime, &spec.hooks.create_container,
          &spec.hooks.start_container, &spec.hooks.poststart, &spec.hooks.poststop}) {
        for (const auto& h : *hook_list) {
            if (h.path.empty() || h.path.front() != '/')
                return bad("hooks", "path \"" + h.path + "\" must be absolute");
            if (h.timeout && *h.timeout <= 0) return bad("hooks", "timeout must be positive");
        }
    }
    return {};
}

}  // namespace berth::oci
