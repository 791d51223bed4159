// Resources of the container spec: cgroup limits, rlimits, devices and sysctls, with docker's
// checks and messages (moby daemon/daemon_unix.go verifyPlatformContainerResources).
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "base/fs.h"
#include "spec/default_security.h"
#include "spec/spec_parts.h"

namespace berth::spec {

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // docker's linuxMinMemory

Result<void> invalid(std::string message) {
    return fail(ErrorKind::InvalidArgument, std::move(message));
}

int online_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return 1;
}

// A cpuset list: "0-3,5".
bool valid_cpuset(const std::string& text) {
    if (text.empty()) return true;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find(',', pos);
        if (end == std::string::npos) end = text.size();
        std::string part = text.substr(pos, end - pos);
        size_t dash = part.find('-');
        auto number = [](const std::string& s) {
            return !s.empty() && s.size() < 10 &&
                   std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
        };
        if (dash == std::string::npos) {
            if (!number(part)) return false;
        } else {
            std::string a = part.substr(0, dash), b = part.substr(dash + 1);
            if (!number(a) || !number(b) || std::stol(a) > std::stol(b)) return false;
        }
        pos = end + 1;
    }
    return true;
}

const std::set<std::string, std::less<>> kUlimits = {
    "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
    "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};

// -1 (and anything negative) is unlimited.
uint64_t rlimit_value(int64_t v) {
    return v < 0 ? ~uint64_t{0} : static_cast<uint64_t>(v);
}

// "c 1:3 rwm", "a *:* rwm", "b 8:* r".
Result<Json> parse_cgroup_rule(const std::string& rule) {
    auto bad = [&] {
        return fail(ErrorKind::InvalidArgument,
                    "invalid device cgroup rule format: '" + rule + "'");
    };
    std::vector<std::string> f;
    size_t pos = 0;
    while (pos < rule.size()) {
        size_t end = rule.find(' ', pos);
        if (end == std::string::npos) end = rule.size();
        if (end > pos) f.push_back(rule.substr(pos, end - pos));
        pos = end + 1;
    }
    if (f.size() != 3 || f[0].size() != 1 || std::string("acb").find(f[0][0]) == std::string::npos)
        return bad();
    size_t colon = f[1].find(':');
    if (colon == std::string::npos) return bad();
    Json out = {{"allow", true}, {"type", f[0]}};
    for (auto [text, key] :
         {std::pair{f[1].substr(0, colon), "major"}, std::pair{f[1].substr(colon + 1), "minor"}}) {
        if (text == "*") continue;
        if (text.empty() || text.size() > 9 ||
            !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); }))
            return bad();
        out[key] = std::stol(text);
    }
    if (f[2].empty() || f[2].size() > 3 || f[2].find_first_not_of("rwm") != std::string::npos)
        return bad();
    out["access"] = f[2];
    return out;
}

}  // namespace

Result<void> validate_resources(const Json& hc, bool update) {
    int64_t memory = int_of(hc, "Memory");
    int64_t swap = int_of(hc, "MemorySwap");
    int64_t reservation = int_of(hc, "MemoryReservation");
    if (memory != 0 && memory < kMinMemory) return invalid("Minimum memory limit allowed is 6MB");
    if (memory > 0 && swap > 0 && swap < memory)
        return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (memory == 0 && swap > 0 && !update)
        return invalid(
            "You should always set the Memory limit when using Memoryswap limit, see usage");
    if (swap < -1)
        return invalid("Invalid value " + std::to_string(swap) +
                       " for MemorySwap: use -1 for unlimited swap");
    if (const Json& s = member(hc, "MemorySwappiness"); s.is_number_integer()) {
        int64_t v = s.get<int64_t>();
        if (v != -1 && (v < 0 || v > 100)) {
            return invalid("Invalid value: " + std::to_string(v) +
                           ", valid memory swappiness range is 0-100");
        }
    }
    if (reservation != 0 && reservation < kMinMemory)
        return invalid("Minimum memory reservation allowed is 6MB");
    if (memory > 0 && reservation > 0 && memory < reservation)
        return invalid(
            "Minimum memory limit can not be less than memory reservation limit, see usage");

    int64_t nano = int_of(hc, "NanoCpus");
    int64_t period = int_of(hc, "CpuPeriod");
    int64_t quota = int_of(hc, "CpuQuota");
    if (nano > 0 && period > 0)
        return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (nano > 0 && quota > 0)
        return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    if (nano != 0) {
        int n = online_cpus();
        if (nano < 0 || nano > int64_t{n} * 1000000000) {
            std::string count = std::to_string(n);
            return invalid("range of CPUs is from 0.01 to " + count + ".00, as there are only " +
                           count + " CPUs available");
        }
    }
    if (int64_t shares = int_of(hc, "CpuShares"); shares < 0) {
        return invalid("invalid CPU shares (" + std::to_string(shares) +
                       "): value must be a positive integer");
    }
    if (period != 0 && (period < 1000 || period > 1000000))
        return invalid(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    if (quota > 0 && quota < 1000)
        return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    for (auto [key, what] : {std::pair{"CpusetCpus", "cpus"}, std::pair{"CpusetMems", "mems"}}) {
        std::string value = string_of(hc, key);
        if (!valid_cpuset(value)) return invalid("Invalid value " + value + " for cpuset " + what);
    }
    if (int64_t w = int_of(hc, "BlkioWeight"); w > 0 && (w < 10 || w > 1000))
        return invalid("Range of blkio weight is from 10 to 1000");
    if (int_of(hc, "IOMaximumBandwidth") != 0 || int_of(hc, "IOMaximumIOps") != 0)
        return invalid(
            "Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps");
    if (int_of(hc, "ShmSize") < 0) return invalid("SHM size can not be less than 0");
    if (int64_t oom = int_of(hc, "OomScoreAdj"); oom < -1000 || oom > 1000) {
        return invalid("Invalid value " + std::to_string(oom) +
                       ", range for oom score adj is [-1000, 1000]");
    }
    return {};
}

std::vector<std::string> discard_unsupported_resources(Json& hc, const std::string& cgroup_root) {
    std::vector<std::string> warnings;
    if (!hc.is_object()) return warnings;
    if (int_of(hc, "BlkioWeight") > 0) {
        // v1 has blkio.weight (CFQ) or blkio.bfq.weight (BFQ) at its root; v2 an io controller.
        bool weight = path_exists(cgroup_root + "/blkio/blkio.weight") ||
                      path_exists(cgroup_root + "/blkio/blkio.bfq.weight") ||
                      read_file(cgroup_root + "/cgroup.controllers").value_or("").find("io") !=
                          std::string::npos;
        if (!weight) {
            warnings.push_back(
                "Your kernel does not support Block I/O weight or the cgroup is not mounted. "
                "Weight discarded.");
            hc.erase("BlkioWeight");
        }
    }
    if (int_of(hc, "Memory") > 0 && int_of(hc, "MemorySwap") != -1 &&
        !HostFacts::detect(cgroup_root).swap_limit) {
        warnings.push_back(
            "Your kernel does not support swap limit capabilities or the cgroup is not mounted. "
            "Memory limited without swap.");
        hc["MemorySwap"] = -1;
    }
    return warnings;
}

Result<void> validate_ulimits(const Json& hc) {
    const Json& ulimits = member(hc, "Ulimits");
    if (!ulimits.is_array()) return {};
    std::set<std::string> seen;
    for (const Json& u : ulimits) {
        if (!u.is_object()) return invalid("HostConfig.Ulimits: entries must be objects");
        std::string name = string_of(u, "Name");
        if (!kUlimits.contains(name)) return invalid("invalid ulimit type: " + name);
        if (!seen.insert(name).second)
            return invalid("HostConfig.Ulimits: " + name + " is given twice");
        uint64_t soft = rlimit_value(int_of(u, "Soft")), hard = rlimit_value(int_of(u, "Hard"));
        if (soft > hard) {
            return invalid("ulimit soft limit must be less than or equal to hard limit: " +
                           std::to_string(int_of(u, "Soft")) + " > " +
                           std::to_string(int_of(u, "Hard")));
        }
    }
    return {};
}

Result<void> validate_devices(const Json& hc) {
    const Json& devices = member(hc, "Devices");
    if (devices.is_array()) {
        for (const Json& d : devices) {
            if (!d.is_object()) return invalid("HostConfig.Devices: entries must be objects");
            std::string host = string_of(d, "PathOnHost");
            std::string container = string_of(d, "PathInContainer");
            std::string perms = string_of(d, "CgroupPermissions");
            if (host.empty()) return invalid("HostConfig.Devices: PathOnHost is required");
            if (!container.empty() && container.front() != '/')
                return invalid("invalid device mode: PathInContainer " + container +
                               " must be absolute");
            if (perms.find_first_not_of("rwm") != std::string::npos || perms.size() > 3)
                return invalid("invalid device mode: " + perms);
        }
    }
    for (const auto& rule : strings_of(hc, "DeviceCgroupRules"))
        TRY(parse_cgroup_rule(rule));
    return {};
}

Result<void> validate_sysctls(const Json& hc) {
    const Json& sysctls = member(hc, "Sysctls");
    if (!sysctls.is_object()) return {};
    bool host_net = string_of(hc, "NetworkMode") == "host";
    static const std::set<std::string, std::less<>> ipc = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
        "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
    bool host_uts = string_of(hc, "UTSMode") == "host";
    for (auto it = sysctls.begin(); it != sysctls.end(); ++it) {
        const std::string& key = it.key();
        if (!it.value().is_string())
            return invalid("HostConfig.Sysctls." + key + ": must be a string");
        if (ipc.contains(key) || key.starts_with("fs.mqueue.")) continue;
        if (key.starts_with("net.")) {
            if (host_net) {
                return invalid("sysctl \"" + key +
                               "\" is not allowed in host network mode: it would change the host");
            }
            continue;
        }
        if ((key == "kernel.domainname" || key == "kernel.hostname") && !host_uts) continue;
        return invalid("sysctl \"" + key +
                       "\" is not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, "
                       "kernel.shm*, fs.mqueue.*, net.*) can be set");
    }
    return {};
}

Json build_resources(const Json& hc, const HostFacts& facts) {
    Json r = Json::object();
    Json memory = Json::object();
    int64_t limit = int_of(hc, "Memory");
    int64_t swap = int_of(hc, "MemorySwap");
    if (limit > 0) {
        memory["limit"] = limit;
        if (swap == 0) swap = 2 * limit;  // docker's default: as much swap as memory
        if (facts.swap_limit && (swap > 0 || swap == -1)) memory["swap"] = swap;
    }
    if (int64_t v = int_of(hc, "MemoryReservation"); v > 0) memory["reservation"] = v;
    if (!facts.cgroup_v2) {
        // cgroup v2 has neither (docker drops them there with a warning).
        if (const Json& s = member(hc, "MemorySwappiness");
            s.is_number_integer() && s.get<int64_t>() >= 0)
            memory["swappiness"] = s.get<int64_t>();
        if (const Json& o = member(hc, "OomKillDisable"); o.is_boolean() && o.get<bool>())
            memory["disableOOMKiller"] = true;
    }
    if (!memory.empty()) r["memory"] = memory;

    Json cpu = Json::object();
    if (int64_t v = int_of(hc, "CpuShares"); v > 0) cpu["shares"] = v;
    if (auto v = string_of(hc, "CpusetCpus"); !v.empty()) cpu["cpus"] = v;
    if (auto v = string_of(hc, "CpusetMems"); !v.empty()) cpu["mems"] = v;
    if (int64_t nano = int_of(hc, "NanoCpus"); nano > 0) {
        constexpr int64_t period = 100000;  // 100 ms, in µs
        cpu["period"] = period;
        cpu["quota"] = nano * period / 1000000000;
    }
    if (int64_t v = int_of(hc, "CpuPeriod"); v != 0) cpu["period"] = v;
    if (int64_t v = int_of(hc, "CpuQuota"); v != 0) cpu["quota"] = v;
    if (!cpu.empty()) r["cpu"] = cpu;

    // 0 and negative mean unlimited: no limit at all, as docker makes them at create (a -1
    // reaches crun 1.8's pids.max verbatim, which cgroup v1 refuses).
    if (int64_t v = int_of(hc, "PidsLimit"); v > 0) r["pids"] = {{"limit", v}};
    if (int64_t w = int_of(hc, "BlkioWeight"); w != 0) r["blockIO"] = {{"weight", w}};
    return r;
}

Json build_rlimits(const Json& hc) {
    Json out = Json::array();
    const Json& ulimits = member(hc, "Ulimits");
    if (!ulimits.is_array()) return out;
    for (const Json& u : ulimits) {
        std::string name = string_of(u, "Name");
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        out.push_back({{"type", "RLIMIT_" + name},
                       {"hard", rlimit_value(int_of(u, "Hard"))},
                       {"soft", rlimit_value(int_of(u, "Soft"))}});
    }
    return out;
}

Result<DeviceSetup> build_devices(const Json& hc) {
    DeviceSetup setup;
    bool privileged = bool_of(hc, "Privileged");
    if (privileged) {
        for (const auto& d : TRY(host_devices()))
            setup.devices.push_back(device_to_json(d));
        setup.rules.push_back({{"allow", true}, {"access", "rwm"}});
    }
    const Json& devices = member(hc, "Devices");
    if (devices.is_array()) {
        for (const Json& d : devices) {
            std::string host = string_of(d, "PathOnHost");
            std::string container = string_of(d, "PathInContainer");
            if (container.empty()) container = host;
            std::string perms = string_of(d, "CgroupPermissions");
            if (perms.empty()) perms = "rwm";
            // Privileged containers have the host's nodes already, at the same paths.
            if (privileged && host == container) continue;
            for (const auto& node : TRY(devices_from_path(host, container))) {
                setup.devices.push_back(device_to_json(node));
                if (!privileged) {
                    setup.rules.push_back({{"allow", true},
                                           {"type", std::string(1, node.type)},
                                           {"major", node.major},
                                           {"minor", node.minor},
                                           {"access", perms}});
                }
            }
        }
    }
    if (!privileged)
        for (const auto& rule : strings_of(hc, "DeviceCgroupRules"))
            setup.rules.push_back(TRY(parse_cgroup_rule(rule)));
    return setup;
}

Json merge_default_ulimits(const Json& host_config, const Json& default_ulimits) {
    Json merged = host_config;
    if (!default_ulimits.is_array() || default_ulimits.empty()) return merged;
    Json& ulimits = merged["Ulimits"];
    if (!ulimits.is_array()) ulimits = Json::array();
    std::set<std::string, std::less<>> own;
    for (const Json& u : ulimits)
        own.insert(string_of(u, "Name"));
    for (const Json& u : default_ulimits)
        if (!own.contains(string_of(u, "Name"))) ulimits.push_back(u);
    return merged;
}

}  // namespace berth::spec
