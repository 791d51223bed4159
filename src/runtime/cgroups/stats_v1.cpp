// CgroupStats from cgroup v1 controller files, following runc's fs driver.
#include <sstream>

#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/cgroups/stats_readers.h"

namespace berth::runtime::cgroups {

namespace {

std::string at(const std::string& dir, std::string_view file) {
    return join_path(dir, file);
}

Error malformed(const std::string& path, std::string_view line) {
    return Error(ErrorKind::Internal, path + ": malformed line \"" + std::string(line) + "\"");
}

Result<uint64_t> parse_u64(std::string_view s, const std::string& path) {
    if (auto v = parse_int<uint64_t>(s)) return *v;
    return fail(ErrorKind::Internal, path + ": cannot parse \"" + std::string(s) + "\"");
}

std::vector<std::string> words_of(std::string_view line) {
    std::istringstream in{std::string(line)};
    std::vector<std::string> out;
    std::string w;
    while (in >> w)
        out.push_back(w);
    return out;
}

// blkio.* files: "8:0 Read 1282048", "8:0 6792" (sectors) and a "Total 3477504" line. nullopt
// when the file does not exist.
Result<std::optional<std::vector<BlkioEntry>>> read_blkio_file(CgroupIo& io,
                                                               const std::string& path) {
    auto text = TRY(read_optional(io, path));
    if (!text) return std::optional<std::vector<BlkioEntry>>();
    std::vector<BlkioEntry> out;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
        auto w = words_of(line);
        if (w.empty()) continue;
        if (w.size() == 2 && w[0] == "Total") continue;
        if (w.size() < 2 || w.size() > 3) return fail(malformed(path, line));
        auto colon = w[0].find(':');
        if (colon == std::string::npos) return fail(malformed(path, line));
        BlkioEntry e;
        e.major = TRY(parse_u64(std::string_view(w[0]).substr(0, colon), path));
        e.minor = TRY(parse_u64(std::string_view(w[0]).substr(colon + 1), path));
        if (w.size() == 3) e.op = w[1];
        e.value = TRY(parse_u64(w.back(), path));
        out.push_back(std::move(e));
    }
    return std::optional<std::vector<BlkioEntry>>(std::move(out));
}

// memory.usage_in_bytes & co; all zero when the module is missing (swap or kmem accounting off).
Result<MemoryEntry> read_memory_entry(CgroupIo& io, const std::string& dir,
                                      const std::string& module) {
    MemoryEntry e;
    auto usage = TRY(read_optional(io, at(dir, module + ".usage_in_bytes")));
    if (!usage) return e;
    e.usage = TRY_CTX(parse_cgroup_uint(*usage), at(dir, module + ".usage_in_bytes"));
    e.max = TRY(read_uint_or_zero(io, at(dir, module + ".max_usage_in_bytes")));
    e.failcnt = TRY(read_uint_or_zero(io, at(dir, module + ".failcnt")));
    e.limit = TRY(read_uint_or_zero(io, at(dir, module + ".limit_in_bytes")));
    return e;
}

}  // namespace

Result<void> read_v1_cpu_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto text = TRY(read_optional(io, at(dir, "cpu.stat")));
    if (!text) return {};
    for (const auto& [key, value] : TRY_CTX(parse_flat_keyed(*text), at(dir, "cpu.stat"))) {
        if (key == "nr_periods") stats.cpu.periods = value;
        if (key == "nr_throttled") stats.cpu.throttled_periods = value;
        if (key == "throttled_time") stats.cpu.throttled_time = value;
    }
    return {};
}

Result<void> read_v1_cpuacct_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& cpu = stats.cpu;
    cpu.total = TRY(read_uint_or_zero(io, at(dir, "cpuacct.usage")));
    if (auto text = TRY(read_optional(io, at(dir, "cpuacct.usage_percpu")))) {
        cpu.percpu.clear();
        for (const auto& w : words_of(*text))
            cpu.percpu.push_back(TRY(parse_u64(w, at(dir, "cpuacct.usage_percpu"))));
    }
    // "user <ticks>\nsystem <ticks>", in USER_HZ (100 on Linux) ticks.
    if (auto text = TRY(read_optional(io, at(dir, "cpuacct.stat")))) {
        for (const auto& [key, ticks] : TRY_CTX(parse_flat_keyed(*text), at(dir, "cpuacct.stat"))) {
            constexpr uint64_t kNsPerTick = 1000000000 / 100;
            if (key == "user") cpu.user = ticks * kNsPerTick;
            if (key == "system") cpu.kernel = ticks * kNsPerTick;
        }
    }
    // "cpu user system" header, then one line per cpu, in ns.
    if (auto text = TRY(read_optional(io, at(dir, "cpuacct.usage_all")))) {
        std::istringstream lines(*text);
        std::string line;
        std::getline(lines, line);
        if (!line.starts_with("cpu user system"))
            return fail(malformed(at(dir, "cpuacct.usage_all"), line));
        cpu.percpu_user.clear();
        cpu.percpu_kernel.clear();
        while (std::getline(lines, line)) {
            auto w = words_of(line);
            if (w.size() < 3) continue;
            cpu.percpu_user.push_back(TRY(parse_u64(w[1], at(dir, "cpuacct.usage_all"))));
            cpu.percpu_kernel.push_back(TRY(parse_u64(w[2], at(dir, "cpuacct.usage_all"))));
        }
    }
    return {};
}

Result<void> read_v1_cpuset_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& cs = stats.cpuset;
    for (auto [file, out] :
         {std::pair{"cpuset.cpus", &cs.cpus}, std::pair{"cpuset.mems", &cs.mems}}) {
        auto text = TRY(read_optional(io, at(dir, file)));
        if (!text) continue;
        auto list = parse_cpu_list(*text);
        if (!list) return fail(malformed(at(dir, file), trim(*text)));
        *out = std::move(*list);
    }
    const std::pair<const char*, uint64_t*> numbers[] = {
        {"cpuset.cpu_exclusive", &cs.cpu_exclusive},
        {"cpuset.mem_hardwall", &cs.mem_hardwall},
        {"cpuset.mem_exclusive", &cs.mem_exclusive},
        {"cpuset.memory_migrate", &cs.memory_migrate},
        {"cpuset.memory_spread_page", &cs.memory_spread_page},
        {"cpuset.memory_spread_slab", &cs.memory_spread_slab},
        {"cpuset.memory_pressure", &cs.memory_pressure},
        {"cpuset.sched_load_balance", &cs.sched_load_balance},
    };
    for (auto [file, out] : numbers)
        *out = TRY(read_uint_or_zero(io, at(dir, file)));
    if (auto text = TRY(read_optional(io, at(dir, "cpuset.sched_relax_domain_level")))) {
        std::string_view v = trim(*text);
        auto level = parse_int<decltype(cs.sched_relax_domain_level)>(v);
        if (!level) return fail(malformed(at(dir, "cpuset.sched_relax_domain_level"), v));
        cs.sched_relax_domain_level = *level;
    }
    return {};
}

Result<void> read_v1_memory_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& m = stats.memory;
    auto text = TRY(read_optional(io, at(dir, "memory.stat")));
    if (!text && !io.exists(dir)) return {};
    if (text) {
        for (auto& [key, value] : TRY_CTX(parse_flat_keyed(*text), at(dir, "memory.stat")))
            m.raw[key] = value;
        if (auto it = m.raw.find("cache"); it != m.raw.end()) m.cache = it->second;
    }
    m.usage = TRY(read_memory_entry(io, dir, "memory"));
    m.swap = TRY(read_memory_entry(io, dir, "memory.memsw"));
    m.kernel = TRY(read_memory_entry(io, dir, "memory.kmem"));
    m.kernel_tcp = TRY(read_memory_entry(io, dir, "memory.kmem.tcp"));
    return {};
}

Result<void> read_v1_pids_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    stats.pids.current = TRY(read_uint_or_zero(io, at(dir, "pids.current")));
    uint64_t limit = TRY(read_uint_or_zero(io, at(dir, "pids.max")));
    stats.pids.limit = limit == UINT64_MAX ? 0 : limit;  // "max": no limit, which runc prints as 0
    return {};
}

Result<void> read_v1_blkio_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& b = stats.blkio;
    using Files = std::vector<std::pair<const char*, std::vector<BlkioEntry>*>>;
    // The first group whose first file exists and has entries wins, as in runc: BFQ's debug
    // statistics, BFQ's, CFQ's, then the throttling layer's (recursive first).
    const Files groups[] = {
        {{"blkio.bfq.sectors_recursive", &b.sectors_recursive},
         {"blkio.bfq.io_service_time_recursive", &b.io_service_time_recursive},
         {"blkio.bfq.io_wait_time_recursive", &b.io_wait_time_recursive},
         {"blkio.bfq.io_merged_recursive", &b.io_merged_recursive},
         {"blkio.bfq.io_queued_recursive", &b.io_queued_recursive},
         {"blkio.bfq.time_recursive", &b.io_time_recursive},
         {"blkio.bfq.io_serviced_recursive", &b.io_serviced_recursive},
         {"blkio.bfq.io_service_bytes_recursive", &b.io_service_bytes_recursive}},
        {{"blkio.bfq.io_serviced_recursive", &b.io_serviced_recursive},
         {"blkio.bfq.io_service_bytes_recursive", &b.io_service_bytes_recursive}},
        {{"blkio.sectors_recursive", &b.sectors_recursive},
         {"blkio.io_service_time_recursive", &b.io_service_time_recursive},
         {"blkio.io_wait_time_recursive", &b.io_wait_time_recursive},
         {"blkio.io_merged_recursive", &b.io_merged_recursive},
         {"blkio.io_queued_recursive", &b.io_queued_recursive},
         {"blkio.time_recursive", &b.io_time_recursive},
         {"blkio.io_serviced_recursive", &b.io_serviced_recursive},
         {"blkio.io_service_bytes_recursive", &b.io_service_bytes_recursive}},
        {{"blkio.throttle.io_serviced_recursive", &b.io_serviced_recursive},
         {"blkio.throttle.io_service_bytes_recursive", &b.io_service_bytes_recursive}},
        {{"blkio.throttle.io_serviced", &b.io_serviced_recursive},
         {"blkio.throttle.io_service_bytes", &b.io_service_bytes_recursive}},
    };
    for (const auto& group : groups) {
        auto first = TRY(read_blkio_file(io, at(dir, group.front().first)));
        if (!first || first->empty()) continue;
        *group.front().second = std::move(*first);
        for (size_t i = 1; i < group.size(); ++i) {
            auto entries = TRY(read_blkio_file(io, at(dir, group[i].first)));
            if (entries) *group[i].second = std::move(*entries);
        }
        return {};
    }
    return {};
}

Result<void> read_v1_hugetlb_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    constexpr std::string_view prefix = "hugetlb.", suffix = ".limit_in_bytes";
    for (const auto& name : TRY(io.file_names(dir))) {
        // hugetlb.2MB.limit_in_bytes (not hugetlb.2MB.rsvd.limit_in_bytes)
        if (!name.starts_with(prefix) || !name.ends_with(suffix)) continue;
        std::string size = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (size.empty() || size.find('.') != std::string::npos) continue;
        // Prefer the reservation counters where the kernel has them, as runc does.
        std::string base = at(dir, "hugetlb." + size);
        if (io.exists(base + ".rsvd.usage_in_bytes")) base += ".rsvd";
        HugetlbEntry e;
        e.usage = TRY(read_uint_or_zero(io, base + ".usage_in_bytes"));
        e.max = TRY(read_uint_or_zero(io, base + ".max_usage_in_bytes"));
        e.failcnt = TRY(read_uint_or_zero(io, base + ".failcnt"));
        stats.hugetlb[size] = e;
    }
    return {};
}

}  // namespace berth::runtime::cgroups
