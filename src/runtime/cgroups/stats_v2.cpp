// CgroupStats from a cgroup v2 directory, in v1 terms where runc translates (fs2 driver).
#include <sstream>

#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/cgroups/stats_readers.h"

namespace berth::runtime::cgroups {

namespace {

std::string at(const std::string& dir, std::string_view file) {
    return join_path(dir, file);
}

Result<std::optional<PsiStats>> read_psi(CgroupIo& io, const std::string& path) {
    auto text = io.read(path);
    if (!text) {
        // Missing (no CONFIG_PSI, or "cgroup.pressure" turned off) or EOPNOTSUPP (psi=0): none.
        int err = text.error().sys_errno();
        if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV) return std::optional<PsiStats>();
        return fail(std::move(text).error());
    }
    auto psi = parse_psi(*text);
    if (!psi) return fail(ErrorKind::Internal, path + ": malformed pressure data");
    return psi;
}

// memory.current / memory.max / memory.peak (or memory.swap.*); zero when missing.
Result<MemoryEntry> read_memory_entry(CgroupIo& io, const std::string& dir,
                                      const std::string& module) {
    MemoryEntry e;
    auto current = TRY(read_optional(io, at(dir, module + ".current")));
    if (!current) return e;
    e.usage = TRY_CTX(parse_cgroup_uint(*current), at(dir, module + ".current"));
    e.limit = TRY(read_uint_or_zero(io, at(dir, module + ".max")));
    e.max = TRY(read_uint_or_zero(io, at(dir, module + ".peak")));
    return e;
}

Result<void> read_memory(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& m = stats.memory;
    if (auto text = TRY(read_optional(io, at(dir, "memory.stat")))) {
        for (auto& [key, value] : TRY_CTX(parse_flat_keyed(*text), at(dir, "memory.stat")))
            m.raw[key] = value;
        if (auto it = m.raw.find("file"); it != m.raw.end()) m.cache = it->second;
    }
    m.usage = TRY(read_memory_entry(io, dir, "memory"));
    // v1 reported swap as memory + swap; runc keeps that meaning on v2.
    MemoryEntry swap = TRY(read_memory_entry(io, dir, "memory.swap"));
    swap.usage += m.usage.usage;
    if (swap.limit != UINT64_MAX) swap.limit += m.usage.limit;
    swap.max = 0;  // a peak of the sum cannot be derived
    if (io.exists(at(dir, "memory.current"))) m.swap = swap;
    m.psi = TRY(read_psi(io, at(dir, "memory.pressure")));
    return {};
}

Result<void> read_cpu(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& cpu = stats.cpu;
    if (auto text = TRY(read_optional(io, at(dir, "cpu.stat")))) {
        for (const auto& [key, value] : TRY_CTX(parse_flat_keyed(*text), at(dir, "cpu.stat"))) {
            if (key == "usage_usec") cpu.total = value * 1000;
            if (key == "user_usec") cpu.user = value * 1000;
            if (key == "system_usec") cpu.kernel = value * 1000;
            if (key == "nr_periods") cpu.periods = value;
            if (key == "nr_throttled") cpu.throttled_periods = value;
            if (key == "throttled_usec") cpu.throttled_time = value * 1000;
        }
    }
    cpu.psi = TRY(read_psi(io, at(dir, "cpu.pressure")));
    return {};
}

Result<void> read_pids(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto current = TRY(read_optional(io, at(dir, "pids.current")));
    if (current) {
        stats.pids.current = TRY_CTX(parse_cgroup_uint(*current), at(dir, "pids.current"));
        uint64_t limit = TRY(read_uint_or_zero(io, at(dir, "pids.max")));
        stats.pids.limit = limit == UINT64_MAX ? 0 : limit;
        return {};
    }
    // Without the pids controller: count the processes.
    auto procs = TRY(read_optional(io, at(dir, "cgroup.procs")));
    if (procs) {
        uint64_t n = 0;
        for (char c : *procs)
            n += c == '\n';
        stats.pids.current = n;
        stats.pids.limit = 0;
    }
    return {};
}

// io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0", translated to v1's tables.
Result<void> read_io(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    auto& b = stats.blkio;
    if (auto text = TRY(read_optional(io, at(dir, "io.stat")))) {
        std::istringstream lines(*text);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream words(line);
            std::string device, item;
            words >> device;
            auto colon = device.find(':');
            if (colon == std::string::npos) continue;
            auto major = parse_int<uint64_t>(std::string_view(device).substr(0, colon));
            auto minor = parse_int<uint64_t>(std::string_view(device).substr(colon + 1));
            if (!major || !minor)
                return fail(ErrorKind::Internal,
                            at(dir, "io.stat") + ": malformed line \"" + line + "\"");
            while (words >> item) {
                auto eq = item.find('=');
                if (eq == std::string::npos) continue;
                std::string key = item.substr(0, eq);
                std::vector<BlkioEntry>* table = nullptr;
                std::string op;
                if (key == "rbytes") table = &b.io_service_bytes_recursive, op = "Read";
                if (key == "wbytes") table = &b.io_service_bytes_recursive, op = "Write";
                if (key == "rios") table = &b.io_serviced_recursive, op = "Read";
                if (key == "wios") table = &b.io_serviced_recursive, op = "Write";
                if (table == nullptr) continue;
                auto value = parse_int<uint64_t>(std::string_view(item).substr(eq + 1));
                if (!value)
                    return fail(ErrorKind::Internal,
                                at(dir, "io.stat") + ": malformed value \"" + item + "\"");
                table->push_back({*major, *minor, op, *value});
            }
        }
    }
    b.psi = TRY(read_psi(io, at(dir, "io.pressure")));
    return {};
}

}  // namespace

Result<void> read_v2_hugetlb_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    constexpr std::string_view prefix = "hugetlb.", suffix = ".max";
    for (const auto& name : TRY(io.file_names(dir))) {
        // hugetlb.2MB.max (not hugetlb.2MB.rsvd.max)
        if (!name.starts_with(prefix) || !name.ends_with(suffix)) continue;
        std::string size = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (size.empty() || size.find('.') != std::string::npos) continue;
        std::string base = at(dir, "hugetlb." + size);
        HugetlbEntry e;
        // runc reads the reservation counter where there is one.
        std::string current =
            io.exists(base + ".rsvd.current") ? base + ".rsvd.current" : base + ".current";
        e.usage = TRY(read_uint_or_zero(io, current));
        if (io.exists(base + ".events")) e.failcnt = TRY(read_keyed(io, base + ".events", "max"));
        stats.hugetlb[size] = e;
    }
    return {};
}

Result<void> read_v2_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats) {
    TRY(read_pids(io, dir, stats));
    TRY(read_memory(io, dir, stats));
    TRY(read_io(io, dir, stats));
    TRY(read_cpu(io, dir, stats));
    TRY(read_v2_hugetlb_stats(io, dir, stats));
    return {};
}

}  // namespace berth::runtime::cgroups
