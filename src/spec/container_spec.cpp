#include "spec/container_spec.h"

#include <algorithm>

#include "base/fs.h"
#include "base/kernel_version.h"
#include "spec/default_security.h"
#include "spec/network_files.h"
#include "spec/seccomp_profile.h"
#include "spec/spec_parts.h"
#include "spec/user_lookup.h"

namespace berth::spec {

const Json& member(const Json& obj, std::string_view key) {
    static const Json kNull;
    if (!obj.is_object()) return kNull;
    auto it = obj.find(key);
    return it == obj.end() ? kNull : *it;
}

std::string string_of(const Json& obj, std::string_view key) {
    const Json& v = member(obj, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t int_of(const Json& obj, std::string_view key) {
    const Json& v = member(obj, key);
    if (v.is_number_unsigned()) {
        uint64_t u = v.get<uint64_t>();
        return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
    }
    return v.is_number_integer() ? v.get<int64_t>() : 0;
}

bool bool_of(const Json& obj, std::string_view key) {
    const Json& v = member(obj, key);
    return v.is_boolean() && v.get<bool>();
}

std::vector<std::string> strings_of(const Json& obj, std::string_view key) {
    std::vector<std::string> out;
    const Json& v = member(obj, key);
    if (v.is_array())
        for (const Json& s : v)
            if (s.is_string()) out.push_back(s.get<std::string>());
    return out;
}

bool is_zero(const Json& v) {
    if (v.is_null()) return true;
    // nlohmann's empty() is false for every string: strings are not containers to it.
    if (v.is_string()) return v.get_ref<const std::string&>().empty();
    if (v.is_array() || v.is_object()) return v.empty();
    if (v.is_boolean()) return !v.get<bool>();
    if (v.is_number()) return v.get<double>() == 0;
    return false;
}

HostFacts HostFacts::detect(const std::string& cgroup_root) {
    HostFacts facts;
    facts.cgroup_v2 = path_exists(cgroup_root + "/cgroup.controllers");
    if (facts.cgroup_v2) {
        auto controllers = read_file(cgroup_root + "/cgroup.controllers");
        facts.swap_limit = controllers && controllers->find("memory") != std::string::npos;
    } else {
        facts.swap_limit = path_exists(cgroup_root + "/memory/memory.memsw.limit_in_bytes");
    }
    facts.rro = running_kernel_version() >= KernelVersion{5, 12};
    return facts;
}

Result<SecurityOptions> parse_security_options(const Json& host_config) {
    SecurityOptions out;
    auto parse_bool = [](const std::string& v) -> std::optional<bool> {
        if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True")
            return true;
        if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False")
            return false;
        return std::nullopt;
    };
    for (const auto& opt : strings_of(host_config, "SecurityOpt")) {
        if (opt == "no-new-privileges") {
            out.no_new_privileges = true;
            continue;
        }
        if (opt == "writable-cgroups") {
            out.writable_cgroups = true;
            continue;
        }
        if (opt == "disable") continue;  // SELinux labels: this host has no SELinux
        size_t sep = opt.find('=');
        if (sep == std::string::npos) sep = opt.find(':');
        if (sep == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "invalid --security-opt 1: \"" + opt + "\"");
        std::string key = opt.substr(0, sep), value = opt.substr(sep + 1);
        if (key == "label" || key == "apparmor") continue;  // no SELinux or AppArmor on this host
        if (key == "seccomp") {
            if (value == "unconfined")
                out.seccomp_unconfined = true;
            else
                out.seccomp_profile = value;
            continue;
        }
        if (key == "no-new-privileges" || key == "writable-cgroups") {
            auto b = parse_bool(value);
            if (!b)
                return fail(ErrorKind::InvalidArgument,
                            "invalid --security-opt 2: \"" + opt + "\"");
            (key == "no-new-privileges" ? out.no_new_privileges : out.writable_cgroups) = *b;
            continue;
        }
        // The docker CLI turns this into empty MaskedPaths/ReadonlyPaths; other clients may not.
        if (key == "systempaths" && value == "unconfined") {
            out.systempaths_unconfined = true;
            continue;
        }
        return fail(ErrorKind::InvalidArgument, "invalid --security-opt 2: \"" + opt + "\"");
    }
    return out;
}

namespace {

// docker's environment: PATH, HOSTNAME, TERM (with a tty), then Config.Env replacing or adding
// variables ("NAME" without "=" removes NAME).
std::vector<std::string> process_env(const Json& config, const std::string& hostname, bool tty) {
    std::vector<std::string> env = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME=" + hostname};
    if (tty) env.push_back("TERM=xterm");
    auto name_of = [](const std::string& e) { return e.substr(0, e.find('=')); };
    std::vector<std::string> removed;
    for (const auto& e : strings_of(config, "Env")) {
        std::string name = name_of(e);
        auto it = std::find_if(env.begin(), env.end(),
                               [&](const std::string& x) { return name_of(x) == name; });
        if (e.find('=') == std::string::npos) {
            if (it != env.end()) env.erase(it);
            continue;
        }
        if (it != env.end())
            *it = e;
        else
            env.push_back(e);
    }
    return env;
}

bool has_var(const std::vector<std::string>& env, std::string_view name) {
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) {
        return e.size() > name.size() && e.starts_with(name) && e[name.size()] == '=';
    });
}

Json namespaces(const Json& hc, const HostFacts& facts) {
    Json ns = Json::array({{{"type", "mount"}}});
    if (string_of(hc, "NetworkMode") != "host") ns.push_back({{"type", "network"}});
    if (string_of(hc, "UTSMode") != "host") ns.push_back({{"type", "uts"}});
    if (string_of(hc, "PidMode") != "host") ns.push_back({{"type", "pid"}});
    ns.push_back({{"type", "ipc"}});
    std::string cgroupns = string_of(hc, "CgroupnsMode");
    if (cgroupns == "private" || (cgroupns.empty() && facts.cgroup_v2))
        ns.push_back({{"type", "cgroup"}});
    return ns;
}

}  // namespace

Json complete_host_config(const Json& host_config, const std::string& cgroup_root) {
    Json hc = host_config.is_object() ? host_config : Json::object();
    HostFacts facts = HostFacts::detect(cgroup_root);
    int64_t memory = int_of(hc, "Memory");
    if (memory > 0 && int_of(hc, "MemorySwap") == 0 && facts.swap_limit)
        hc["MemorySwap"] = 2 * memory;
    if (int_of(hc, "ShmSize") == 0) hc["ShmSize"] = int64_t{64} << 20;
    if (!member(hc, "OomKillDisable").is_boolean()) hc["OomKillDisable"] = false;
    if (string_of(hc, "IpcMode").empty()) hc["IpcMode"] = "private";
    if (string_of(hc, "CgroupnsMode").empty())
        hc["CgroupnsMode"] = facts.cgroup_v2 ? "private" : "host";
    return hc;
}

Result<Json> build_runtime_spec(const Json& config, const Json& host_config,
                                const SpecContext& context) {
    static const Json kEmpty = Json::object();
    const Json& hc = host_config.is_object() ? host_config : kEmpty;
    const Json& cfg = config.is_object() ? config : kEmpty;
    HostFacts facts = HostFacts::detect(context.cgroup_root);
    bool privileged = bool_of(hc, "Privileged");
    bool tty = bool_of(cfg, "Tty");
    bool host_net = string_of(hc, "NetworkMode") == "host";
    bool host_pid = string_of(hc, "PidMode") == "host";
    bool host_uts = string_of(hc, "UTSMode") == "host";

    std::vector<std::string> args = strings_of(cfg, "Entrypoint");
    if (args.size() == 1 && args[0].empty()) args.clear();
    for (auto& a : strings_of(cfg, "Cmd"))
        args.push_back(std::move(a));
    if (args.empty()) return fail(ErrorKind::InvalidArgument, "no command specified");
    // Only a container with its own PID namespace needs an init of its own.
    bool init = bool_of(hc, "Init") && !host_pid;
    if (init) {
        if (context.init_binary.empty())
            return fail(ErrorKind::Unavailable,
                        "HostConfig.Init: no init binary (berth-init) is installed");
        args.insert(args.begin(), {"/sbin/docker-init", "--"});
    }

    std::string hostname = container_hostname(cfg, hc, context.container_id);
    ResolvedUser user =
        TRY_CTX(resolve_user(context.rootfs, string_of(cfg, "User"), strings_of(hc, "GroupAdd")),
                "resolve the container's user");
    std::vector<std::string> env = process_env(cfg, hostname, tty);
    if (!has_var(env, "HOME") && !user.home.empty()) env.push_back("HOME=" + user.home);

    std::vector<std::string> caps = TRY(
        container_capabilities(strings_of(hc, "CapAdd"), strings_of(hc, "CapDrop"), privileged));
    SecurityOptions security = TRY(parse_security_options(hc));

    std::string cwd = string_of(cfg, "WorkingDir");
    Json process = {
        {"terminal", tty},
        {"user", {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}}},
        {"args", args},
        {"env", env},
        {"cwd", cwd.empty() ? "/" : clean_path(cwd)},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"oomScoreAdj", int_of(hc, "OomScoreAdj")},
    };
    if (Json rlimits = build_rlimits(hc); !rlimits.empty()) process["rlimits"] = rlimits;
    if (security.no_new_privileges) process["noNewPrivileges"] = true;
    const Json& console = member(hc, "ConsoleSize");
    if (tty && console.is_array() && console.size() == 2 && console[0].is_number_integer() &&
        console[1].is_number_integer()) {
        int64_t height = console[0].get<int64_t>(), width = console[1].get<int64_t>();
        if (height > 0 || width > 0)
            process["consoleSize"] = {{"height", height}, {"width", width}};
    }

    Json spec = {{"ociVersion", "1.2.0"},
                 {"process", process},
                 {"root", {{"path", context.rootfs}, {"readonly", bool_of(hc, "ReadonlyRootfs")}}}};
    if (!host_uts) spec["hostname"] = hostname;
    Json& linux_ = spec["linux"];
    linux_["namespaces"] = namespaces(hc, facts);

    std::vector<UserMount> user_mounts = TRY(parse_user_mounts(hc));
    Json mounts = TRY(build_mounts(hc, user_mounts, context.container_dir, context.init_binary,
                                   init, facts, spec));
    if (privileged || security.writable_cgroups) {
        for (Json& m : mounts) {
            if (m["type"] != "cgroup") continue;
            Json kept = Json::array();
            for (const Json& o : m["options"])
                if (o != "ro") kept.push_back(o);
            m["options"] = std::move(kept);
        }
    }
    spec["mounts"] = std::move(mounts);

    // Sysctls: docker's defaults for a network namespace of the container's own, the NIS domain
    // name, then the user's.
    Json sysctl = Json::object();
    if (!host_net) {
        if (path_exists(context.proc_root + "/sys/net/ipv4/ping_group_range"))
            sysctl["net.ipv4.ping_group_range"] = "0 2147483647";
        if (path_exists(context.proc_root + "/sys/net/ipv4/ip_unprivileged_port_start"))
            sysctl["net.ipv4.ip_unprivileged_port_start"] = "0";
    }
    if (std::string domain = string_of(cfg, "Domainname"); !domain.empty() && !host_uts)
        sysctl["kernel.domainname"] = domain;
    if (const Json& user_sysctls = member(hc, "Sysctls"); user_sysctls.is_object())
        for (auto it = user_sysctls.begin(); it != user_sysctls.end(); ++it)
            sysctl[it.key()] = it.value();
    if (!sysctl.empty()) linux_["sysctl"] = sysctl;

    Json resources = build_resources(hc, facts);
    DeviceSetup devices = TRY(build_devices(hc));
    Json rules = privileged ? Json::array() : default_device_rules();
    for (auto& r : devices.rules)
        rules.push_back(std::move(r));
    resources["devices"] = std::move(rules);
    linux_["resources"] = std::move(resources);
    linux_["devices"] = std::move(devices.devices);

    std::string parent = string_of(hc, "CgroupParent");
    if (parent.empty()) parent = context.cgroup_parent;
    linux_["cgroupsPath"] = parent.starts_with("/")
                                ? clean_path(parent + "/" + context.container_id)
                                : parent + "/" + context.container_id;

    std::vector<std::string> masked, readonly;
    if (!privileged && !security.systempaths_unconfined) {
        masked = default_masked_paths(context.sys_root);
        readonly = default_readonly_paths();
    }
    if (member(hc, "MaskedPaths").is_array()) masked = strings_of(hc, "MaskedPaths");
    if (member(hc, "ReadonlyPaths").is_array()) readonly = strings_of(hc, "ReadonlyPaths");
    linux_["maskedPaths"] = masked;
    linux_["readonlyPaths"] = readonly;

    if (!security.seccomp_unconfined) {
        bool builtin = security.seccomp_profile.empty() || security.seccomp_profile == "builtin";
        Json seccomp;
        if (!builtin) {
            Json profile = TRY_CTX(parse_json(security.seccomp_profile, "seccomp profile"),
                                   "Decoding seccomp profile failed");
            seccomp = TRY(resolve_seccomp_profile(profile, caps, SeccompHost::detect()));
        } else if (!privileged) {
            seccomp = context.default_seccomp ? TRY(context.default_seccomp->get(caps))
                                              : TRY(default_seccomp_profile(caps));
        }
        if (!seccomp.is_null()) linux_["seccomp"] = std::move(seccomp);
    }

    if (const Json& a = member(hc, "Annotations"); a.is_object() && !a.empty())
        spec["annotations"] = a;
    return spec;
}

}  // namespace berth::spec
