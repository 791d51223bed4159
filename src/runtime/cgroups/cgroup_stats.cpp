#include "runtime/cgroups/cgroup_stats.h"

#include <cstdlib>
#include <sstream>

#include "base/parse_int.h"
#include "runtime/cgroups/cgroup_io.h"

namespace berth::runtime::cgroups {

namespace {

// runc's JSON leaves out zero values of fields tagged omitempty/omitzero; these helpers follow
// the tags of runc's types package field by field.
void put_nonzero(Json& j, const char* key, uint64_t v) {
    if (v != 0) j[key] = v;
}

template <typename T>
void put_nonempty(Json& j, const char* key, const std::vector<T>& v) {
    if (!v.empty()) j[key] = v;
}

Json psi_data_json(const PsiData& d) {
    return {{"avg10", d.avg10}, {"avg60", d.avg60}, {"avg300", d.avg300}, {"total", d.total}};
}

bool psi_data_zero(const PsiData& d) {
    return d.avg10 == 0 && d.avg60 == 0 && d.avg300 == 0 && d.total == 0;
}

void put_psi(Json& j, const std::optional<PsiStats>& psi) {
    if (!psi) return;
    Json out = Json::object();
    if (!psi_data_zero(psi->some)) out["some"] = psi_data_json(psi->some);
    if (!psi_data_zero(psi->full)) out["full"] = psi_data_json(psi->full);
    j["psi"] = out;
}

// MemoryEntry: limit and failcnt always, usage and max when non-zero; the whole entry is left
// out when all four are zero (omitzero).
void put_memory_entry(Json& j, const char* key, const MemoryEntry& e) {
    if (e.limit == 0 && e.usage == 0 && e.max == 0 && e.failcnt == 0) return;
    Json out = {{"limit", e.limit}};
    put_nonzero(out, "usage", e.usage);
    put_nonzero(out, "max", e.max);
    out["failcnt"] = e.failcnt;
    j[key] = out;
}

Json blkio_entries_json(const std::vector<BlkioEntry>& entries) {
    Json out = Json::array();
    for (const auto& e : entries) {
        Json j = Json::object();
        put_nonzero(j, "major", e.major);
        put_nonzero(j, "minor", e.minor);
        if (!e.op.empty()) j["op"] = e.op;
        put_nonzero(j, "value", e.value);
        out.push_back(j);
    }
    return out;
}

}  // namespace

// long: one field after another, in the shape of runc's `events --stats` JSON.
Json stats_to_json(const CgroupStats& s) {
    Json cpu = Json::object();
    const auto& c = s.cpu;
    if (c.total || !c.percpu.empty() || !c.percpu_kernel.empty() || !c.percpu_user.empty() ||
        c.kernel || c.user) {
        Json usage = Json::object();
        put_nonzero(usage, "total", c.total);
        put_nonempty(usage, "percpu", c.percpu);
        put_nonempty(usage, "percpu_kernel", c.percpu_kernel);
        put_nonempty(usage, "percpu_user", c.percpu_user);
        usage["kernel"] = c.kernel;
        usage["user"] = c.user;
        cpu["usage"] = usage;
    }
    if (c.periods || c.throttled_periods || c.throttled_time) {
        Json throttling = Json::object();
        put_nonzero(throttling, "periods", c.periods);
        put_nonzero(throttling, "throttledPeriods", c.throttled_periods);
        put_nonzero(throttling, "throttledTime", c.throttled_time);
        cpu["throttling"] = throttling;
    }
    put_psi(cpu, c.psi);

    const auto& cs = s.cpuset;
    Json cpuset = Json::object();
    put_nonempty(cpuset, "cpus", cs.cpus);
    cpuset["cpu_exclusive"] = cs.cpu_exclusive;
    put_nonempty(cpuset, "mems", cs.mems);
    cpuset["mem_hardwall"] = cs.mem_hardwall;
    cpuset["mem_exclusive"] = cs.mem_exclusive;
    cpuset["memory_migrate"] = cs.memory_migrate;
    cpuset["memory_spread_page"] = cs.memory_spread_page;
    cpuset["memory_spread_slab"] = cs.memory_spread_slab;
    cpuset["memory_pressure"] = cs.memory_pressure;
    cpuset["sched_load_balance"] = cs.sched_load_balance;
    cpuset["sched_relax_domain_level"] = cs.sched_relax_domain_level;

    const auto& m = s.memory;
    Json memory = Json::object();
    put_nonzero(memory, "cache", m.cache);
    put_memory_entry(memory, "usage", m.usage);
    put_memory_entry(memory, "swap", m.swap);
    put_memory_entry(memory, "kernel", m.kernel);
    put_memory_entry(memory, "kernelTCP", m.kernel_tcp);
    if (!m.raw.empty()) memory["raw"] = m.raw;
    put_psi(memory, m.psi);

    Json pids = Json::object();
    put_nonzero(pids, "current", s.pids.current);
    put_nonzero(pids, "limit", s.pids.limit);

    const auto& b = s.blkio;
    Json blkio = Json::object();
    auto put_blkio = [&](const char* key, const std::vector<BlkioEntry>& entries) {
        if (!entries.empty()) blkio[key] = blkio_entries_json(entries);
    };
    put_blkio("ioServiceBytesRecursive", b.io_service_bytes_recursive);
    put_blkio("ioServicedRecursive", b.io_serviced_recursive);
    put_blkio("ioQueueRecursive", b.io_queued_recursive);
    put_blkio("ioServiceTimeRecursive", b.io_service_time_recursive);
    put_blkio("ioWaitTimeRecursive", b.io_wait_time_recursive);
    put_blkio("ioMergedRecursive", b.io_merged_recursive);
    put_blkio("ioTimeRecursive", b.io_time_recursive);
    put_blkio("sectorsRecursive", b.sectors_recursive);
    put_psi(blkio, b.psi);

    Json hugetlb = Json::object();
    for (const auto& [size, h] : s.hugetlb) {
        Json e = Json::object();
        put_nonzero(e, "usage", h.usage);
        put_nonzero(e, "max", h.max);
        e["failcnt"] = h.failcnt;
        hugetlb[size] = e;
    }

    return {{"cpu", cpu},
            {"cpuset", cpuset},
            {"memory", memory},
            {"pids", pids},
            {"blkio", blkio},
            {"hugetlb", hugetlb},
            {"intel_rdt", Json::object()},
            {"network_interfaces", nullptr}};
}

Json stats_event_json(std::string_view id, const CgroupStats& stats) {
    return {{"type", "stats"}, {"id", std::string(id)}, {"data", stats_to_json(stats)}};
}

std::optional<std::vector<uint16_t>> parse_cpu_list(std::string_view text) {
    text = trim(text);
    std::vector<uint16_t> out;
    if (text.empty()) return out;
    auto number = [](std::string_view s, uint16_t& v) {
        auto parsed = parse_int<uint16_t>(s);
        if (parsed) v = *parsed;
        return parsed.has_value();
    };
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view part = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        size_t dash = part.find('-');
        uint16_t from = 0, to = 0;
        if (dash == std::string_view::npos) {
            if (!number(part, from)) return std::nullopt;
            to = from;
        } else if (!number(part.substr(0, dash), from) || !number(part.substr(dash + 1), to) ||
                   from > to) {
            return std::nullopt;
        }
        for (uint32_t i = from; i <= to; ++i)
            out.push_back(static_cast<uint16_t>(i));
    }
    return out;
}

std::optional<PsiStats> parse_psi(std::string_view text) {
    PsiStats out;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string kind, field;
        words >> kind;
        PsiData* d = kind == "some" ? &out.some : kind == "full" ? &out.full : nullptr;
        if (d == nullptr) continue;
        while (words >> field) {
            auto eq = field.find('=');
            if (eq == std::string::npos) return std::nullopt;
            std::string key = field.substr(0, eq), value = field.substr(eq + 1);
            char* end = nullptr;
            if (key == "total") {
                d->total = std::strtoull(value.c_str(), &end, 10);
            } else {
                double v = std::strtod(value.c_str(), &end);
                if (key == "avg10") d->avg10 = v;
                if (key == "avg60") d->avg60 = v;
                if (key == "avg300") d->avg300 = v;
            }
            if (end == nullptr || *end != '\0') return std::nullopt;
        }
    }
    return out;
}

}  // namespace berth::runtime::cgroups
