// Resource usage of a cgroup, and its JSON in the shape of `runc events --stats` (runc's
// types.Stats: field names, units and omitted-when-zero fields as runc prints them).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"

namespace berth::runtime::cgroups {

struct PsiData {
    double avg10 = 0, avg60 = 0, avg300 = 0;
    uint64_t total = 0;
};
struct PsiStats {
    PsiData some, full;
};

struct BlkioEntry {
    uint64_t major = 0;
    uint64_t minor = 0;
    std::string op;  // "Read", "Write", "Sync", "Async", "Total", "" (sectors)
    uint64_t value = 0;
    bool operator==(const BlkioEntry&) const = default;
};

struct MemoryEntry {
    uint64_t limit = 0;
    uint64_t usage = 0;
    uint64_t max = 0;  // peak usage
    uint64_t failcnt = 0;
};

struct HugetlbEntry {
    uint64_t usage = 0;
    uint64_t max = 0;
    uint64_t failcnt = 0;
};

struct CgroupStats {
    struct Cpu {
        uint64_t total = 0;  // ns
        std::vector<uint64_t> percpu, percpu_kernel, percpu_user;
        uint64_t kernel = 0;                                              // ns
        uint64_t user = 0;                                                // ns
        uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;  // throttled_time: ns
        std::optional<PsiStats> psi;
    } cpu;
    struct CpuSet {
        std::vector<uint16_t> cpus, mems;
        uint64_t cpu_exclusive = 0, mem_hardwall = 0, mem_exclusive = 0, memory_migrate = 0,
                 memory_spread_page = 0, memory_spread_slab = 0, memory_pressure = 0,
                 sched_load_balance = 0;
        int64_t sched_relax_domain_level = 0;
    } cpuset;
    struct Memory {
        uint64_t cache = 0;
        MemoryEntry usage, swap, kernel, kernel_tcp;  // swap counts memory + swap, as v1
        std::map<std::string, uint64_t> raw;          // memory.stat
        std::optional<PsiStats> psi;
    } memory;
    struct Pids {
        uint64_t current = 0;
        uint64_t limit = 0;  // 0: no limit
    } pids;
    struct Blkio {
        std::vector<BlkioEntry> io_service_bytes_recursive, io_serviced_recursive,
            io_queued_recursive, io_service_time_recursive, io_wait_time_recursive,
            io_merged_recursive, io_time_recursive, sectors_recursive;
        std::optional<PsiStats> psi;
    } blkio;
    std::map<std::string, HugetlbEntry> hugetlb;  // by page size ("2MB")
};

// The "data" object of a stats event.
Json stats_to_json(const CgroupStats& stats);
// {"type": "stats", "id": id, "data": stats_to_json(stats)}, one line of `events --stats`.
Json stats_event_json(std::string_view id, const CgroupStats& stats);

// Parsers shared by the v1 and v2 readers.
// "0-3,7" → {0, 1, 2, 3, 7}
std::optional<std::vector<uint16_t>> parse_cpu_list(std::string_view text);
// A PSI file (cpu.pressure): "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull …".
std::optional<PsiStats> parse_psi(std::string_view text);

}  // namespace berth::runtime::cgroups
