#include "runtime/cgroups/resources.h"

#include <algorithm>

#include "runtime/cgroups/json_fields.h"

namespace berth::runtime::cgroups {

namespace {

Result<void> expect_object(const Json& j, const std::string& where) {
    if (!j.is_null() && !j.is_object())
        return fail(ErrorKind::InvalidArgument, where + ": must be an object");
    return {};
}

Result<void> expect_array(const Json& j, const std::string& where) {
    if (!j.is_null() && !j.is_array())
        return fail(ErrorKind::InvalidArgument, where + ": must be an array");
    return {};
}

const Json& member(const Json& obj, std::string_view key) {
    static const Json null_json;
    if (!obj.is_object()) return null_json;
    auto it = obj.find(key);
    return it == obj.end() ? null_json : *it;
}

Result<Resources::Memory> parse_memory(const Json& j, const std::string& where) {
    Resources::Memory m;
    m.limit = TRY(optional_field<int64_t>(j, "limit", where));
    m.reservation = TRY(optional_field<int64_t>(j, "reservation", where));
    m.swap = TRY(optional_field<int64_t>(j, "swap", where));
    // kernel and kernelTCP are deprecated and ignored, as by runc; only their types are checked.
    TRY(optional_field<int64_t>(j, "kernel", where));
    TRY(optional_field<int64_t>(j, "kernelTCP", where));
    m.swappiness = TRY(optional_field<int64_t>(j, "swappiness", where));
    if (m.swappiness && *m.swappiness != -1 && (*m.swappiness < 0 || *m.swappiness > 100))
        return fail(ErrorKind::InvalidArgument, where + ".swappiness: invalid value " +
                                                    std::to_string(*m.swappiness) +
                                                    " (valid range is 0-100)");
    m.disable_oom_killer = TRY(optional_field<bool>(j, "disableOOMKiller", where)).value_or(false);
    m.check_before_update =
        TRY(optional_field<bool>(j, "checkBeforeUpdate", where)).value_or(false);
    TRY(optional_field<bool>(j, "useHierarchy", where));
    return m;
}

Result<Resources::Cpu> parse_cpu(const Json& j, const std::string& where) {
    Resources::Cpu c;
    c.shares = TRY(optional_field<uint64_t>(j, "shares", where));
    c.quota = TRY(optional_field<int64_t>(j, "quota", where));
    c.burst = TRY(optional_field<uint64_t>(j, "burst", where));
    c.period = TRY(optional_field<uint64_t>(j, "period", where));
    c.realtime_runtime = TRY(optional_field<int64_t>(j, "realtimeRuntime", where));
    c.realtime_period = TRY(optional_field<uint64_t>(j, "realtimePeriod", where));
    c.cpus = TRY(optional_field<std::string>(j, "cpus", where)).value_or("");
    c.mems = TRY(optional_field<std::string>(j, "mems", where)).value_or("");
    c.idle = TRY(optional_field<int64_t>(j, "idle", where));
    return c;
}

Result<std::pair<int64_t, int64_t>> parse_major_minor(const Json& j, const std::string& where) {
    auto major = TRY(optional_field<int64_t>(j, "major", where));
    auto minor = TRY(optional_field<int64_t>(j, "minor", where));
    if (!major || !minor)
        return fail(ErrorKind::InvalidArgument, where + ": major and minor are required");
    if (*major < 0 || *minor < 0)
        return fail(ErrorKind::InvalidArgument, where + ": major and minor must not be negative");
    return std::pair{*major, *minor};
}

Result<std::vector<ThrottleDevice>> parse_throttle(const Json& parent, std::string_view key,
                                                   const std::string& where) {
    std::vector<ThrottleDevice> out;
    const Json& list = member(parent, key);
    std::string field = where + "." + std::string(key);
    TRY(expect_array(list, field));
    if (list.is_null()) return out;
    for (size_t i = 0; i < list.size(); ++i) {
        std::string at = field + "[" + std::to_string(i) + "]";
        TRY(expect_object(list[i], at));
        auto [major, minor] = TRY(parse_major_minor(list[i], at));
        auto rate = TRY(optional_field<uint64_t>(list[i], "rate", at)).value_or(0);
        out.push_back({major, minor, rate});
    }
    return out;
}

Result<Resources::BlockIo> parse_block_io(const Json& j, const std::string& where) {
    Resources::BlockIo b;
    b.weight = TRY(optional_field<uint16_t>(j, "weight", where));
    b.leaf_weight = TRY(optional_field<uint16_t>(j, "leafWeight", where));
    const Json& weights = member(j, "weightDevice");
    TRY(expect_array(weights, where + ".weightDevice"));
    for (size_t i = 0; weights.is_array() && i < weights.size(); ++i) {
        std::string at = where + ".weightDevice[" + std::to_string(i) + "]";
        TRY(expect_object(weights[i], at));
        auto [major, minor] = TRY(parse_major_minor(weights[i], at));
        WeightDevice wd{major, minor, TRY(optional_field<uint16_t>(weights[i], "weight", at)),
                        TRY(optional_field<uint16_t>(weights[i], "leafWeight", at))};
        b.weight_device.push_back(wd);
    }
    b.throttle_read_bps = TRY(parse_throttle(j, "throttleReadBpsDevice", where));
    b.throttle_write_bps = TRY(parse_throttle(j, "throttleWriteBpsDevice", where));
    b.throttle_read_iops = TRY(parse_throttle(j, "throttleReadIOPSDevice", where));
    b.throttle_write_iops = TRY(parse_throttle(j, "throttleWriteIOPSDevice", where));
    return b;
}

// "2MB", "1GB", "64KB": digits then a unit; anything else could escape the cgroup directory
// once it becomes part of a file name.
bool valid_page_size(std::string_view s) {
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
        ++digits;
    std::string_view unit = s.substr(digits);
    return digits > 0 && (unit == "B" || unit == "KB" || unit == "MB" || unit == "GB" ||
                          unit == "TB" || unit == "PB");
}

}  // namespace

// long: one field of linux.resources after another, each checked where it is read.
Result<Resources> parse_resources(const Json& j) {
    const std::string where = "linux.resources";
    Resources r;
    TRY(expect_object(j, where));
    if (j.is_null()) return r;

    if (const Json& m = member(j, "memory"); !m.is_null()) {
        TRY(expect_object(m, where + ".memory"));
        r.memory = TRY(parse_memory(m, where + ".memory"));
    }
    if (const Json& c = member(j, "cpu"); !c.is_null()) {
        TRY(expect_object(c, where + ".cpu"));
        r.cpu = TRY(parse_cpu(c, where + ".cpu"));
    }
    if (const Json& p = member(j, "pids"); !p.is_null()) {
        TRY(expect_object(p, where + ".pids"));
        r.pids_limit = TRY(optional_field<int64_t>(p, "limit", where + ".pids"));
    }
    if (const Json& b = member(j, "blockIO"); !b.is_null()) {
        TRY(expect_object(b, where + ".blockIO"));
        r.block_io = TRY(parse_block_io(b, where + ".blockIO"));
    }
    const Json& huge = member(j, "hugepageLimits");
    TRY(expect_array(huge, where + ".hugepageLimits"));
    for (size_t i = 0; huge.is_array() && i < huge.size(); ++i) {
        std::string at = where + ".hugepageLimits[" + std::to_string(i) + "]";
        TRY(expect_object(huge[i], at));
        HugepageLimit limit;
        limit.page_size = TRY(optional_field<std::string>(huge[i], "pageSize", at)).value_or("");
        limit.limit = TRY(optional_field<uint64_t>(huge[i], "limit", at)).value_or(0);
        if (!valid_page_size(limit.page_size))
            return fail(ErrorKind::InvalidArgument,
                        at + ".pageSize: invalid page size \"" + limit.page_size + "\"");
        r.hugepage_limits.push_back(std::move(limit));
    }
    if (const Json& n = member(j, "network"); !n.is_null()) {
        std::string at = where + ".network";
        TRY(expect_object(n, at));
        Resources::Network net;
        net.class_id = TRY(optional_field<uint32_t>(n, "classID", at));
        const Json& prios = member(n, "priorities");
        TRY(expect_array(prios, at + ".priorities"));
        for (size_t i = 0; prios.is_array() && i < prios.size(); ++i) {
            std::string p_at = at + ".priorities[" + std::to_string(i) + "]";
            TRY(expect_object(prios[i], p_at));
            NetPriority prio;
            prio.name = TRY(optional_field<std::string>(prios[i], "name", p_at)).value_or("");
            prio.priority = TRY(optional_field<uint32_t>(prios[i], "priority", p_at)).value_or(0);
            if (prio.name.empty() || prio.name.find_first_of(" \n/") != std::string::npos)
                return fail(ErrorKind::InvalidArgument,
                            p_at + ".name: invalid interface name \"" + prio.name + "\"");
            net.priorities.push_back(std::move(prio));
        }
        r.network = std::move(net);
    }
    if (const Json& rdma = member(j, "rdma"); !rdma.is_null()) {
        TRY(expect_object(rdma, where + ".rdma"));
        for (const auto& [device, limits] : rdma.items()) {
            std::string at = where + ".rdma." + device;
            TRY(expect_object(limits, at));
            if (device.empty() || device.find_first_of(" \n") != std::string::npos)
                return fail(ErrorKind::InvalidArgument, at + ": invalid device name");
            r.rdma[device] = {TRY(optional_field<uint32_t>(limits, "hcaHandles", at)),
                              TRY(optional_field<uint32_t>(limits, "hcaObjects", at))};
        }
    }
    if (auto it = j.find("devices"); it != j.end() && !it->is_null()) {
        TRY(expect_array(*it, where + ".devices"));
        std::vector<DeviceRule> rules;
        for (size_t i = 0; i < it->size(); ++i) {
            rules.push_back(
                TRY(parse_device_rule((*it)[i], where + ".devices[" + std::to_string(i) + "]")));
        }
        r.devices = std::move(rules);
    }
    if (const Json& u = member(j, "unified"); !u.is_null()) {
        TRY(expect_object(u, where + ".unified"));
        for (const auto& [key, value] : u.items()) {
            std::string at = where + ".unified." + key;
            if (!value.is_string())
                return fail(ErrorKind::InvalidArgument, at + ": must be a string");
            if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
                return fail(ErrorKind::InvalidArgument,
                            at + ": unified resource must be a file name (no slashes)");
            r.unified[key] = value.get<std::string>();
        }
    }
    return r;
}

uint32_t controllers_needed(const Resources& r) {
    uint32_t mask = 0;
    if (r.memory) {
        const auto& m = *r.memory;
        if ((m.limit && *m.limit != 0) || (m.reservation && *m.reservation != 0) ||
            (m.swap && *m.swap != 0) || (m.swappiness && *m.swappiness != -1) ||
            m.disable_oom_killer)
            mask |= kMemory;
    }
    if (r.cpu) {
        const auto& c = *r.cpu;
        if ((c.shares && *c.shares != 0) || (c.quota && *c.quota != 0) || c.burst ||
            (c.period && *c.period != 0) || (c.realtime_runtime && *c.realtime_runtime != 0) ||
            (c.realtime_period && *c.realtime_period != 0) || c.idle)
            mask |= kCpu;
        if (!c.cpus.empty() || !c.mems.empty()) mask |= kCpuset;
    }
    if (r.pids_limit) mask |= kPids;
    if (r.block_io) {
        const auto& b = *r.block_io;
        if ((b.weight && *b.weight != 0) || (b.leaf_weight && *b.leaf_weight != 0) ||
            !b.weight_device.empty() || b.any_throttle())
            mask |= kIo;
    }
    if (!r.hugepage_limits.empty()) mask |= kHugetlb;
    if (r.network) {
        if (r.network->class_id && *r.network->class_id != 0) mask |= kNetCls;
        if (!r.network->priorities.empty()) mask |= kNetPrio;
    }
    if (!r.rdma.empty()) mask |= kRdma;
    if (r.devices) mask |= kDevices;
    return mask;
}

static constexpr std::pair<uint32_t, const char*> kControllerNames[] = {
    {kCpu, "cpu"},         {kCpuset, "cpuset"},   {kMemory, "memory"},
    {kPids, "pids"},       {kIo, "io"},           {kHugetlb, "hugetlb"},
    {kDevices, "devices"}, {kNetCls, "net_cls"},  {kNetPrio, "net_prio"},
    {kRdma, "rdma"},       {kFreezer, "freezer"},
};

std::string controller_names(uint32_t mask) {
    std::string out;
    for (auto [bit, name] : kControllerNames) {
        if (!(mask & bit)) continue;
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

uint32_t controller_bit(std::string_view name) {
    if (name == "blkio") return kIo;
    for (auto [bit, n] : kControllerNames) {
        if (name == n) return bit;
    }
    return 0;
}

uint64_t cpu_shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    if (weight <= 10) return 1;
    return std::min<uint64_t>(10000, 1 + (weight - 10) * 9999 / 990);
}

Result<int64_t> memory_swap_to_v2(int64_t swap, int64_t memory) {
    if (memory == -1 && swap == 0) return -1;  // "unlimited memory" means unlimited swap too
    if (swap == -1 || swap == 0) return swap;
    if (memory == -1) return swap;
    if (memory == 0)
        return fail(ErrorKind::InvalidArgument, "unable to set swap limit without memory limit");
    if (memory < 0)
        return fail(ErrorKind::InvalidArgument, "invalid memory value: " + std::to_string(memory));
    if (swap < memory)
        return fail(ErrorKind::InvalidArgument, "memory+swap limit should be >= memory limit");
    return swap - memory;
}

}  // namespace berth::runtime::cgroups
