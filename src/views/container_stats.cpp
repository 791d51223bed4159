#include "views/container_stats.h"

#include <sys/sysinfo.h>

#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/parse_int.h"

namespace berth::views {

namespace {

// What Go's zero time.Time marshals to: preread of a first sample.
constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// dockerd's fixed key sets of memory_stats.stats (containerd's v1 and v2 metrics), in this order.
constexpr std::array kV1MemoryKeys = {
    "cache",
    "rss",
    "rss_huge",
    "mapped_file",
    "dirty",
    "writeback",
    "pgpgin",
    "pgpgout",
    "pgfault",
    "pgmajfault",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "hierarchical_memory_limit",
    "hierarchical_memsw_limit",
    "total_cache",
    "total_rss",
    "total_rss_huge",
    "total_mapped_file",
    "total_dirty",
    "total_writeback",
    "total_pgpgin",
    "total_pgpgout",
    "total_pgfault",
    "total_pgmajfault",
    "total_inactive_anon",
    "total_active_anon",
    "total_inactive_file",
    "total_active_file",
    "total_unevictable",
};
constexpr std::array kV2MemoryKeys = {
    "anon",
    "file",
    "kernel_stack",
    "slab",
    "sock",
    "shmem",
    "file_mapped",
    "file_dirty",
    "file_writeback",
    "anon_thp",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "slab_reclaimable",
    "slab_unreclaimable",
    "pgfault",
    "pgmajfault",
    "workingset_refault",
    "workingset_activate",
    "workingset_nodereclaim",
    "pgrefill",
    "pgscan",
    "pgsteal",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pglazyfreed",
    "thp_fault_alloc",
    "thp_collapse_alloc",
};

// Never-throwing readers of the runtime's JSON: a missing or mistyped field is zero / empty.
const Json& child(const Json& j, const char* key) {
    static const Json null_json;  // immutable: shared safely between threads
    if (!j.is_object()) return null_json;
    auto it = j.find(key);
    return it == j.end() ? null_json : *it;
}

uint64_t u64(const Json& j, const char* key) {
    const Json& v = child(j, key);
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer()) {
        int64_t i = v.get<int64_t>();
        return i < 0 ? 0 : static_cast<uint64_t>(i);
    }
    if (v.is_number_float()) {
        double d = v.get<double>();
        return d < 0 ? 0 : static_cast<uint64_t>(d);
    }
    return 0;
}

std::string str(const Json& j, const char* key) {
    const Json& v = child(j, key);
    return v.is_string() ? v.get<std::string>() : std::string();
}

Json u64_array(const Json& j, const char* key) {
    Json out = Json::array();
    const Json& v = child(j, key);
    if (!v.is_array()) return out;
    for (const auto& e : v)
        out.push_back(e.is_number_unsigned() ? e.get<uint64_t>() : uint64_t{0});
    return out;
}

// The "data" object of a stats event, or the object itself when it is already that.
const Json& stats_data(const Json& j) {
    const Json& data = child(j, "data");
    return data.is_object() ? data : j;
}

bool is_v2(const StatsSample& s) {
    if (s.flavor != CgroupFlavor::Auto) return s.flavor == CgroupFlavor::V2;
    const Json& data = stats_data(s.runtime_stats_data);
    const Json& raw = child(child(data, "memory"), "raw");
    if (raw.is_object()) {
        if (raw.contains("total_inactive_file") || raw.contains("total_rss") || raw.contains("rss"))
            return false;
        if (raw.contains("anon") || raw.contains("inactive_file") || raw.contains("file"))
            return true;
    }
    // Per-CPU usage exists only in cgroup v1's cpuacct.
    return !child(child(child(data, "cpu"), "usage"), "percpu").is_array();
}

Json cpu_stats_json(const StatsSample& s, bool v2) {
    const Json& cpu = child(stats_data(s.runtime_stats_data), "cpu");
    const Json& usage = child(cpu, "usage");
    const Json& throttling = child(cpu, "throttling");
    Json cpu_usage = {{"total_usage", u64(usage, "total")},
                      {"usage_in_kernelmode", u64(usage, "kernel")},
                      {"usage_in_usermode", u64(usage, "user")}};
    if (!v2) {
        Json percpu = u64_array(usage, "percpu");
        if (!percpu.empty()) cpu_usage["percpu_usage"] = std::move(percpu);
    }
    Json out = {{"cpu_usage", std::move(cpu_usage)},
                {"throttling_data",
                 {{"periods", u64(throttling, "periods")},
                  {"throttled_periods", u64(throttling, "throttledPeriods")},
                  {"throttled_time", u64(throttling, "throttledTime")}}}};
    if (s.system_cpu_usage != 0) out["system_cpu_usage"] = s.system_cpu_usage;
    if (s.online_cpus != 0) out["online_cpus"] = s.online_cpus;
    return out;
}

Json zero_cpu_stats_json() {
    return {
        {"cpu_usage", {{"total_usage", 0}, {"usage_in_kernelmode", 0}, {"usage_in_usermode", 0}}},
        {"throttling_data", {{"periods", 0}, {"throttled_periods", 0}, {"throttled_time", 0}}}};
}

Json memory_stats_json(const StatsSample& s, bool v2) {
    const Json& memory = child(stats_data(s.runtime_stats_data), "memory");
    if (!memory.is_object() || memory.empty()) return Json::object();
    const Json& raw = child(memory, "raw");
    const Json& usage = child(memory, "usage");
    Json counters = Json::object();
    auto fill = [&](const auto& keys) {
        for (const char* key : keys)
            counters[key] = u64(raw, key);
    };
    if (v2) {
        fill(kV2MemoryKeys);
    } else {
        fill(kV1MemoryKeys);
    }
    Json out = Json::object();
    auto put = [&](const char* key, uint64_t v) {
        if (v != 0) out[key] = v;  // omitempty, as dockerd marshals them
    };
    put("usage", u64(usage, "usage"));
    if (!v2) {
        put("max_usage", u64(usage, "max"));
        put("failcnt", u64(usage, "failcnt"));
    }
    out["stats"] = std::move(counters);
    // No limit (v1: a huge page-rounded number, v2: "max") shows as the host's memory, as
    // dockerd does; so does a limit the runtime did not report, so MEM % stays meaningful.
    uint64_t limit = u64(usage, "limit");
    if (s.machine_memory > 0 && (limit > s.machine_memory || limit == 0)) limit = s.machine_memory;
    put("limit", limit);
    return out;
}

Json blkio_table(const Json& blkio, const char* key, bool lowercase_ops) {
    const Json& entries = child(blkio, key);
    if (!entries.is_array() || entries.empty()) return nullptr;  // Go's nil slice
    Json out = Json::array();
    for (const auto& e : entries) {
        std::string op = str(e, "op");
        if (lowercase_ops)
            for (auto& c : op)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.push_back({{"major", u64(e, "major")},
                       {"minor", u64(e, "minor")},
                       {"op", std::move(op)},
                       {"value", u64(e, "value")}});
    }
    return out;
}

Json blkio_stats_json(const StatsSample& s, bool v2) {
    const Json& blkio = child(stats_data(s.runtime_stats_data), "blkio");
    Json out = {{"io_service_bytes_recursive", blkio_table(blkio, "ioServiceBytesRecursive", v2)},
                {"io_serviced_recursive", nullptr},
                {"io_queue_recursive", nullptr},
                {"io_service_time_recursive", nullptr},
                {"io_wait_time_recursive", nullptr},
                {"io_merged_recursive", nullptr},
                {"io_time_recursive", nullptr},
                {"sectors_recursive", nullptr}};
    if (v2) return out;  // dockerd reports only bytes on v2
    out["io_serviced_recursive"] = blkio_table(blkio, "ioServicedRecursive", false);
    out["io_queue_recursive"] = blkio_table(blkio, "ioQueueRecursive", false);
    out["io_service_time_recursive"] = blkio_table(blkio, "ioServiceTimeRecursive", false);
    out["io_wait_time_recursive"] = blkio_table(blkio, "ioWaitTimeRecursive", false);
    out["io_merged_recursive"] = blkio_table(blkio, "ioMergedRecursive", false);
    out["io_time_recursive"] = blkio_table(blkio, "ioTimeRecursive", false);
    out["sectors_recursive"] = blkio_table(blkio, "sectorsRecursive", false);
    return out;
}

Json pids_stats_json(const StatsSample& s) {
    const Json& pids = child(stats_data(s.runtime_stats_data), "pids");
    Json out = Json::object();
    if (uint64_t v = u64(pids, "current")) out["current"] = v;
    if (uint64_t v = u64(pids, "limit")) out["limit"] = v;
    return out;
}

Json empty_blkio_json() {
    return {{"io_service_bytes_recursive", nullptr}, {"io_serviced_recursive", nullptr},
            {"io_queue_recursive", nullptr},         {"io_service_time_recursive", nullptr},
            {"io_wait_time_recursive", nullptr},     {"io_merged_recursive", nullptr},
            {"io_time_recursive", nullptr},          {"sectors_recursive", nullptr}};
}

}  // namespace

std::string docker_stats_name(std::string_view name) {
    if (name.empty() || name.starts_with('/')) return std::string(name);
    std::string out;  // not "/" + std::string(name): g++ 12 warns falsely (-Wrestrict)
    out.reserve(name.size() + 1);
    out += '/';
    out += name;
    return out;
}

Result<SystemCpu> parse_proc_stat(std::string_view text) {
    SystemCpu out;
    bool have_total = false;
    size_t pos = 0;
    // The cpu lines come first (glibc assumes the same); stop at the first other line.
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (line.size() < 4 || !line.starts_with("cpu")) break;
        if (line[3] == ' ') {
            std::istringstream words{std::string(line.substr(3))};
            uint64_t ticks = 0;
            for (int i = 0; i < 7; ++i) {  // user nice system idle iowait irq softirq
                std::string word;
                if (!(words >> word))
                    return fail(ErrorKind::Internal, "/proc/stat: invalid number of cpu fields");
                auto v = parse_int<uint64_t>(word);
                if (!v)
                    return fail(ErrorKind::Internal,
                                "/proc/stat: unable to convert value " + word + " to int");
                ticks += *v;
            }
            // USER_HZ is 100 on every Linux ABI dockerd supports; dockerd hard-codes it too.
            out.usage_ns = ticks * (1'000'000'000ULL / 100);
            have_total = true;
        } else if (std::isdigit(static_cast<unsigned char>(line[3]))) {
            ++out.online_cpus;
        }
    }
    if (!have_total) return fail(ErrorKind::Internal, "/proc/stat: no cpu line");
    return out;
}

Result<SystemCpu> read_system_cpu(const std::string& proc_stat) {
    std::ifstream in(proc_stat);
    if (!in) return fail_errno("open " + proc_stat);
    std::ostringstream text;
    text << in.rdbuf();
    return TRY_CTX(parse_proc_stat(text.str()), proc_stat);
}

Result<uint64_t> read_system_cpu_usage() {
    return TRY(read_system_cpu()).usage_ns;
}

Result<uint64_t> read_machine_memory() {
    struct sysinfo info {};
    if (::sysinfo(&info) < 0) return fail_errno("sysinfo");
    return static_cast<uint64_t>(info.totalram) * info.mem_unit;
}

Result<StatsSample> sample_stats(Json runtime_stats) {
    StatsSample s;
    s.runtime_stats_data = std::move(runtime_stats);
    auto cpu = TRY(read_system_cpu());
    s.system_cpu_usage = cpu.usage_ns;
    s.online_cpus = cpu.online_cpus;
    s.machine_memory = TRY(read_machine_memory());
    s.read_time = rfc3339_now();
    return s;
}

Json docker_stats_json(const StatsSample& now, const StatsSample* previous, std::string_view id,
                       std::string_view name) {
    bool v2 = is_v2(now);
    Json out = {
        {"id", std::string(id)},
        {"name", docker_stats_name(name)},
        {"os_type", "linux"},
        {"read", now.read_time.empty() ? std::string(kZeroTime) : now.read_time},
        {"preread", previous == nullptr || previous->read_time.empty() ? std::string(kZeroTime)
                                                                       : previous->read_time},
        {"cpu_stats", cpu_stats_json(now, v2)},
        {"precpu_stats",
         previous == nullptr ? zero_cpu_stats_json() : cpu_stats_json(*previous, is_v2(*previous))},
        {"memory_stats", memory_stats_json(now, v2)},
        {"pids_stats", pids_stats_json(now)},
        {"blkio_stats", blkio_stats_json(now, v2)},
        {"num_procs", 0},                   // Windows only
        {"storage_stats", Json::object()},  // Windows only
    };
    if (!now.networks.is_null()) out["networks"] = now.networks;
    return out;
}

Json docker_stats_not_running_json(std::string_view id, std::string_view name) {
    return {{"id", std::string(id)},
            {"name", docker_stats_name(name)},
            {"os_type", "linux"},
            {"read", kZeroTime},
            {"preread", kZeroTime},
            {"cpu_stats", zero_cpu_stats_json()},
            {"precpu_stats", zero_cpu_stats_json()},
            {"memory_stats", Json::object()},
            {"pids_stats", Json::object()},
            {"blkio_stats", empty_blkio_json()},
            {"num_procs", 0},
            {"storage_stats", Json::object()}};
}

}  // namespace berth::views
