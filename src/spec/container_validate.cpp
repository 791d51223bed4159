// validate_container_config: docker's create-time checks (moby daemon/container.go
// verifyContainerSettings, daemon_unix.go verifyPlatformContainerSettings), plus a clear error
// for every field berthd does not support yet.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "spec/container_spec.h"
#include "spec/container_update.h"
#include "spec/default_security.h"
#include "spec/seccomp_profile.h"
#include "spec/spec_parts.h"

namespace berth::spec {

namespace {

Result<void> invalid(std::string message) {
    return fail(ErrorKind::InvalidArgument, std::move(message));
}

enum class Type { String, Int, Bool, Strings, Object, Array };

// The JSON types of the fields we read, so that reading them later cannot go wrong.
Result<void> check_types(const Json& obj, std::string_view where,
                         std::initializer_list<std::pair<const char*, Type>> fields) {
    for (auto [key, type] : fields) {
        const Json& v = member(obj, key);
        if (v.is_null()) continue;
        bool ok = false;
        const char* what = "";
        switch (type) {
            case Type::String:
                ok = v.is_string();
                what = "a string";
                break;
            case Type::Int:
                ok = v.is_number_integer();
                what = "an integer";
                break;
            case Type::Bool:
                ok = v.is_boolean();
                what = "a boolean";
                break;
            case Type::Object:
                ok = v.is_object();
                what = "an object";
                break;
            case Type::Array:
                ok = v.is_array();
                what = "an array";
                break;
            case Type::Strings:
                ok = v.is_array() &&
                     std::all_of(v.begin(), v.end(), [](const Json& s) { return s.is_string(); });
                what = "an array of strings";
                break;
        }
        if (!ok) {
            return invalid(std::string(where) + "." + key + ": must be " + what + ", not " +
                           (v.is_array() ? "an array" : std::string(v.type_name())));
        }
    }
    return {};
}

Result<void> unsupported(const Json& obj, std::string_view where,
                         std::initializer_list<const char*> keys, std::string_view why = "") {
    for (const char* key : keys) {
        if (!is_zero(member(obj, key))) {
            return invalid(std::string(where) + "." + key + " is not supported yet" +
                           (why.empty() ? "" : " (" + std::string(why) + ")"));
        }
    }
    return {};
}

bool valid_ip(const std::string& text) {
    std::string t = text;
    if (t.size() > 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
    unsigned char buf[16];
    return ::inet_pton(AF_INET, t.c_str(), buf) == 1 || ::inet_pton(AF_INET6, t.c_str(), buf) == 1;
}

// A signal as docker accepts it: a number, or a name with or without "SIG".
bool valid_signal(std::string text) {
    if (text.empty()) return true;
    if (std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); }))
        return text.size() < 3 && std::stoi(text) >= 1 && std::stoi(text) <= 64;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (text.starts_with("SIG")) text = text.substr(3);
    static const std::set<std::string, std::less<>> names = {
        "ABRT", "ALRM",   "BUS",  "CHLD",   "CLD",   "CONT", "FPE",  "HUP",   "ILL",
        "INT",  "IO",     "IOT",  "KILL",   "PIPE",  "POLL", "PROF", "PWR",   "QUIT",
        "SEGV", "STKFLT", "STOP", "SYS",    "TERM",  "TRAP", "TSTP", "TTIN",  "TTOU",
        "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};
    if (names.contains(text)) return true;
    for (std::string_view base : {"RTMIN+", "RTMAX-"}) {
        if (text.starts_with(base)) {
            std::string n = text.substr(base.size());
            return !n.empty() && n.size() < 3 &&
                   std::all_of(n.begin(), n.end(), [](char c) { return std::isdigit(c); }) &&
                   std::stoi(n) >= 1 && std::stoi(n) <= 30;
        }
    }
    return false;
}

Result<void> validate_config(const Json& config) {
    if (config.is_null()) return {};
    if (!config.is_object()) return invalid("Config: must be an object");
    TRY(check_types(config, "Config",
                    {{"Hostname", Type::String},
                     {"Domainname", Type::String},
                     {"User", Type::String},
                     {"Tty", Type::Bool},
                     {"Env", Type::Strings},
                     {"Cmd", Type::Strings},
                     {"Entrypoint", Type::Strings},
                     {"WorkingDir", Type::String},
                     {"StopSignal", Type::String},
                     {"Labels", Type::Object},
                     {"Healthcheck", Type::Object},
                     {"NetworkDisabled", Type::Bool},
                     {"MacAddress", Type::String},
                     {"ExposedPorts", Type::Object},
                     {"Volumes", Type::Object}}));
    TRY(unsupported(config, "Config", {"MacAddress"}, "container networks arrive later"));
    std::string hostname = string_of(config, "Hostname");
    if (hostname.size() > 64)
        return invalid("hostname \"" + hostname + "\" is too long (maximum 64 bytes)");
    std::string wd = string_of(config, "WorkingDir");
    if (!wd.empty() && wd.front() != '/')
        return invalid("the working directory '" + wd +
                       "' is invalid, it needs to be an absolute path");
    if (std::string sig = string_of(config, "StopSignal"); !valid_signal(sig))
        return invalid("Invalid signal: " + sig);
    for (const auto& e : strings_of(config, "Env"))
        if (e.empty() || e.front() == '=') return invalid("invalid environment variable: " + e);
    const Json& hc = member(config, "Healthcheck");
    if (hc.is_object()) {
        TRY(check_types(hc, "Config.Healthcheck",
                        {{"Test", Type::Strings},
                         {"Interval", Type::Int},
                         {"Timeout", Type::Int},
                         {"StartPeriod", Type::Int},
                         {"StartInterval", Type::Int},
                         {"Retries", Type::Int}}));
        constexpr int64_t kMinimum = 1000000;  // 1 ms, docker's minimum duration
        for (const char* key : {"Interval", "Timeout", "StartPeriod", "StartInterval"}) {
            int64_t v = int_of(hc, key);
            if (v != 0 && v < kMinimum)
                return invalid(std::string(key) + " in Healthcheck cannot be less than 1ms");
        }
        if (int_of(hc, "Retries") < 0) return invalid("Retries in Healthcheck cannot be negative");
    }
    return {};
}

Result<void> validate_modes(const Json& hc) {
    std::string network = string_of(hc, "NetworkMode");
    if (network.starts_with("container:"))
        return invalid("HostConfig.NetworkMode \"" + network +
                       "\": sharing another container's network is not supported yet");
    if (!network.empty() && network != "default" && network != "bridge" && network != "none" &&
        network != "host") {
        return invalid("HostConfig.NetworkMode \"" + network +
                       "\": networks are not supported yet (bridge networks arrive later; use "
                       "\"none\", \"host\" or the default)");
    }
    std::string ipc = string_of(hc, "IpcMode");
    if (ipc == "host" || ipc.starts_with("container:"))
        return invalid("HostConfig.IpcMode \"" + ipc + "\" is not supported yet");
    if (!ipc.empty() && ipc != "private" && ipc != "shareable" && ipc != "none")
        return invalid("invalid IPC mode: " + ipc);
    std::string pid = string_of(hc, "PidMode");
    if (pid.starts_with("container:"))
        return invalid("HostConfig.PidMode \"" + pid + "\" is not supported yet");
    if (!pid.empty() && pid != "host") return invalid("invalid PID mode: " + pid);
    std::string uts = string_of(hc, "UTSMode");
    if (!uts.empty() && uts != "host") return invalid("invalid UTS mode: " + uts);
    std::string cgroupns = string_of(hc, "CgroupnsMode");
    if (!cgroupns.empty() && cgroupns != "private" && cgroupns != "host")
        return invalid("invalid cgroup namespace mode: " + cgroupns);
    std::string userns = string_of(hc, "UsernsMode");
    if (!userns.empty() && userns != "host")
        return invalid("HostConfig.UsernsMode \"" + userns + "\" is not supported yet");
    std::string isolation = string_of(hc, "Isolation");
    if (!isolation.empty() && isolation != "default")
        return invalid("invalid isolation '" + isolation + "' on linux");
    // HostConfig.Runtime is the engine's to check: it knows the daemon's runtimes.
    return {};
}

Result<void> validate_restart(const Json& hc) {
    const Json& policy = member(hc, "RestartPolicy");
    if (!policy.is_object()) return {};
    TRY(check_types(policy, "HostConfig.RestartPolicy",
                    {{"Name", Type::String}, {"MaximumRetryCount", Type::Int}}));
    std::string name = string_of(policy, "Name");
    int64_t retries = int_of(policy, "MaximumRetryCount");
    if (name == "always" || name == "unless-stopped" || name == "no") {
        if (retries != 0) {
            return invalid(std::string("invalid restart policy: maximum retry count can only be "
                                       "used with 'on-failure'") +
                           (retries < 0 ? " and cannot be negative" : ""));
        }
    } else if (name == "on-failure") {
        if (retries < 0)
            return invalid("invalid restart policy: maximum retry count cannot be negative");
    } else if (!name.empty()) {
        return invalid("invalid restart policy: unknown policy '" + name +
                       "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    }
    if (bool_of(hc, "AutoRemove") && !name.empty() && name != "no")
        return invalid("can't create 'AutoRemove' container with restart policy");
    return {};
}

Result<void> validate_network_options(const Json& hc) {
    for (const auto& ip : strings_of(hc, "Dns"))
        if (!valid_ip(ip)) return invalid("HostConfig.Dns: \"" + ip + "\" is not an IP address");
    for (const auto& entry : strings_of(hc, "ExtraHosts")) {
        size_t colon = entry.find(':');
        if (colon == std::string::npos || colon == 0)
            return invalid("bad format for add-host: \"" + entry + "\"");
        std::string ip = entry.substr(colon + 1);
        if (ip == "host-gateway")
            return invalid("HostConfig.ExtraHosts: host-gateway is not supported yet (\"" + entry +
                           "\")");
        if (!valid_ip(ip)) return invalid("invalid IP address in add-host: \"" + ip + "\"");
    }
    return {};
}

}  // namespace

Result<void> validate_update(const Json& update) {
    if (!update.is_object()) return invalid("the update must be a JSON object");
    TRY(check_types(update, "UpdateConfig",
                    {{"CpuShares", Type::Int},
                     {"Memory", Type::Int},
                     {"NanoCpus", Type::Int},
                     {"BlkioWeight", Type::Int},
                     {"CpuPeriod", Type::Int},
                     {"CpuQuota", Type::Int},
                     {"CpusetCpus", Type::String},
                     {"CpusetMems", Type::String},
                     {"MemoryReservation", Type::Int},
                     {"MemorySwap", Type::Int},
                     {"MemorySwappiness", Type::Int},
                     {"OomKillDisable", Type::Bool},
                     {"PidsLimit", Type::Int},
                     {"RestartPolicy", Type::Object}}));
    TRY(unsupported(update, "UpdateConfig",
                    {"BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps",
                     "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuRealtimePeriod",
                     "CpuRealtimeRuntime", "KernelMemory", "KernelMemoryTCP", "DeviceRequests"}));
    TRY(unsupported(update, "UpdateConfig", {"CpuCount", "CpuPercent"}, "Windows only"));
    TRY(validate_resources(update, true));
    return validate_restart(update);
}

Result<void> validate_container_config(const Json& config, const Json& host_config) {
    TRY(validate_config(config));
    if (host_config.is_null()) return {};
    if (!host_config.is_object()) return invalid("HostConfig: must be an object");
    const Json& hc = host_config;
    TRY(check_types(hc, "HostConfig",
                    {{"Binds", Type::Strings},
                     {"NetworkMode", Type::String},
                     {"RestartPolicy", Type::Object},
                     {"AutoRemove", Type::Bool},
                     {"CapAdd", Type::Strings},
                     {"CapDrop", Type::Strings},
                     {"CgroupnsMode", Type::String},
                     {"Dns", Type::Strings},
                     {"DnsOptions", Type::Strings},
                     {"DnsSearch", Type::Strings},
                     {"ExtraHosts", Type::Strings},
                     {"GroupAdd", Type::Strings},
                     {"IpcMode", Type::String},
                     {"Cgroup", Type::String},
                     {"OomScoreAdj", Type::Int},
                     {"PidMode", Type::String},
                     {"Privileged", Type::Bool},
                     {"ReadonlyRootfs", Type::Bool},
                     {"SecurityOpt", Type::Strings},
                     {"Tmpfs", Type::Object},
                     {"UTSMode", Type::String},
                     {"UsernsMode", Type::String},
                     {"ShmSize", Type::Int},
                     {"Sysctls", Type::Object},
                     {"Runtime", Type::String},
                     {"Isolation", Type::String},
                     {"Mounts", Type::Array},
                     {"MaskedPaths", Type::Strings},
                     {"ReadonlyPaths", Type::Strings},
                     {"Init", Type::Bool},
                     {"ConsoleSize", Type::Array},
                     {"Annotations", Type::Object},
                     {"CpuShares", Type::Int},
                     {"Memory", Type::Int},
                     {"NanoCpus", Type::Int},
                     {"CgroupParent", Type::String},
                     {"BlkioWeight", Type::Int},
                     {"CpuPeriod", Type::Int},
                     {"CpuQuota", Type::Int},
                     {"CpusetCpus", Type::String},
                     {"CpusetMems", Type::String},
                     {"Devices", Type::Array},
                     {"DeviceCgroupRules", Type::Strings},
                     {"MemoryReservation", Type::Int},
                     {"MemorySwap", Type::Int},
                     {"MemorySwappiness", Type::Int},
                     {"OomKillDisable", Type::Bool},
                     {"PidsLimit", Type::Int},
                     {"Ulimits", Type::Array},
                     {"IOMaximumIOps", Type::Int},
                     {"IOMaximumBandwidth", Type::Int},
                     {"PortBindings", Type::Object},
                     {"PublishAllPorts", Type::Bool}}));
    TRY(unsupported(hc, "HostConfig", {"PortBindings", "PublishAllPorts", "Links"},
                    "bridge networks arrive later"));
    TRY(unsupported(
        hc, "HostConfig",
        {"VolumeDriver", "VolumesFrom", "DeviceRequests", "BlkioWeightDevice", "BlkioDeviceReadBps",
         "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "CpuRealtimePeriod",
         "CpuRealtimeRuntime", "StorageOpt", "Cgroup", "KernelMemory", "KernelMemoryTCP"}));
    TRY(unsupported(hc, "HostConfig", {"CpuCount", "CpuPercent"}, "Windows only"));
    TRY(validate_modes(hc));
    TRY(validate_restart(hc));
    TRY(validate_network_options(hc));
    TRY(validate_resources(hc));
    TRY(validate_ulimits(hc));
    TRY(validate_devices(hc));
    TRY(validate_sysctls(hc));

    const Json& console = member(hc, "ConsoleSize");
    if (console.is_array() &&
        (console.size() != 2 || !std::all_of(console.begin(), console.end(), [](const Json& v) {
             return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
         })))
        return invalid("HostConfig.ConsoleSize: must be [height, width]");
    if (const Json& a = member(hc, "Annotations"); a.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (it.key().empty())
                return invalid(
                    "invalid Annotations: the empty string is not permitted as an annotation key");
            if (!it.value().is_string())
                return invalid("HostConfig.Annotations." + it.key() + ": must be a string");
        }
    }
    for (const char* key : {"MaskedPaths", "ReadonlyPaths"})
        for (const auto& p : strings_of(hc, key))
            if (p.empty() || p.front() != '/')
                return invalid("HostConfig." + std::string(key) + ": \"" + p +
                               "\" is not an absolute path");

    TRY(normalize_capabilities(strings_of(hc, "CapAdd"), "CapAdd"));
    TRY(normalize_capabilities(strings_of(hc, "CapDrop"), "CapDrop"));
    SecurityOptions security = TRY(parse_security_options(hc));
    if (!security.seccomp_profile.empty() && security.seccomp_profile != "builtin") {
        Json profile = TRY_CTX(parse_json(security.seccomp_profile, "seccomp profile"),
                               "Decoding seccomp profile failed");
        TRY(resolve_seccomp_profile(profile, default_capabilities(), SeccompHost::detect()));
    }
    TRY(parse_user_mounts(hc));
    return {};
}

}  // namespace berth::spec
