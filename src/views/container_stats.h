// GET /containers/{id}/stats: the runtime's cgroup statistics (runc's `events --stats` shape, see
// runtime/cgroups/cgroup_stats.h) turned into the StatsResponse dockerd sends, for cgroup v1 and
// v2 hosts alike, so that `docker stats` computes the same CPU % and MEM USAGE / LIMIT.
//
// dockerd's conventions kept here: on v1 the memory "stats" map holds the memory.stat counters
// under their v1 names (cache, rss, total_inactive_file...), usage, max_usage and failcnt are set
// and cpu_usage has percpu_usage; on v2 the map holds the v2 names (anon, file, inactive_file...),
// there is no max_usage, failcnt or percpu_usage, and blkio has only io_service_bytes_recursive
// with ops "read"/"write". An unlimited memory limit reads as the host's memory.
// system_cpu_usage and online_cpus come from /proc/stat as dockerd reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"

namespace berth::views {

enum class CgroupFlavor { Auto, V1, V2 };

struct StatsSample {
    // The "data" object of runc's stats event (the whole event {"type","id","data"} is accepted
    // too). Malformed or missing fields count as zero: stats are best effort, never an error.
    Json runtime_stats_data;
    uint64_t system_cpu_usage = 0;  // ns of all CPUs, from /proc/stat
    uint32_t online_cpus = 0;       // cpuN lines of /proc/stat
    std::string read_time;          // RFC 3339, when the sample was taken
    uint64_t machine_memory = 0;    // bytes of RAM on the host; 0: unknown (no clamping)
    // Which cgroup version the data came from; Auto tells by the memory.stat names and percpu.
    CgroupFlavor flavor = CgroupFlavor::Auto;
    // docker's "networks" object ({"eth0": {"rx_bytes":...}}), left out when null.
    Json networks = nullptr;
};

struct SystemCpu {
    uint64_t usage_ns = 0;
    uint32_t online_cpus = 0;
};

// The first "cpu " line of /proc/stat (user..steal, in USER_HZ=100 ticks) as nanoseconds, and the
// number of "cpuN" lines.
Result<SystemCpu> parse_proc_stat(std::string_view text);
Result<SystemCpu> read_system_cpu(const std::string& proc_stat = "/proc/stat");
Result<uint64_t> read_system_cpu_usage();
// The host's RAM (sysinfo), what dockerd reports as the limit of an unlimited container.
Result<uint64_t> read_machine_memory();

// A sample from the runtime's stats JSON taken now: reads /proc/stat, the host's memory and
// the clock.
Result<StatsSample> sample_stats(Json runtime_stats);

// One StatsResponse. `previous` (the sample before, about a second earlier) fills preread and
// precpu_stats; without it they are zero, as in dockerd's one-shot answer.
Json docker_stats_json(const StatsSample& now, const StatsSample* previous, std::string_view id,
                       std::string_view name);

// What dockerd answers for a container that is not running: every section zero.
Json docker_stats_not_running_json(std::string_view id, std::string_view name);

// "/name": docker's name field has the leading slash; adds one when missing.
std::string docker_stats_name(std::string_view name);

}  // namespace berth::views
