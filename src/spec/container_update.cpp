#include "spec/container_update.h"

#include "spec/spec_parts.h"

namespace berth::spec {

namespace {

Result<void> conflict(std::string message) {
    return fail(ErrorKind::Conflict, std::move(message));
}

Result<void> check_cpu_conflicts(const Json& hc, const Json& update) {
    // NanoCpus stand for a period and a quota: once either way is set, the other cannot be.
    if (int_of(update, "NanoCpus") > 0 && int_of(hc, "CpuPeriod") > 0)
        return conflict(
            "Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set");
    if (int_of(update, "NanoCpus") > 0 && int_of(hc, "CpuQuota") > 0)
        return conflict(
            "Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set");
    if (int_of(update, "CpuPeriod") > 0 && int_of(hc, "NanoCpus") > 0)
        return conflict(
            "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set");
    if (int_of(update, "CpuQuota") > 0 && int_of(hc, "NanoCpus") > 0)
        return conflict(
            "Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set");
    return {};
}

}  // namespace

Result<Json> merge_update(const Json& host_config, const Json& update) {
    Json hc = host_config.is_object() ? host_config : Json::object();
    TRY(check_cpu_conflicts(hc, update));
    for (const char* key : {"BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota",
                            "MemorySwap", "MemoryReservation"})
        if (int_of(update, key) != 0) hc[key] = int_of(update, key);
    for (const char* key : {"CpusetCpus", "CpusetMems"})
        if (!string_of(update, key).empty()) hc[key] = string_of(update, key);
    if (int64_t memory = int_of(update, "Memory"); memory != 0) {
        if (memory > int_of(hc, "MemorySwap") && int_of(update, "MemorySwap") == 0)
            TRY(
                conflict("Memory limit should be smaller than already set memoryswap limit, "
                         "update the memoryswap at the same time"));
        hc["Memory"] = memory;
    }
    // 0 and negative lift the limit (dockerd's API stores 0).
    if (const Json& pids = member(update, "PidsLimit"); pids.is_number_integer())
        hc["PidsLimit"] = std::max<int64_t>(pids.get<int64_t>(), 0);
    const Json& policy = member(update, "RestartPolicy");
    if (!string_of(policy, "Name").empty()) {
        if (bool_of(hc, "AutoRemove") && string_of(policy, "Name") != "no")
            TRY(
                conflict("Restart policy cannot be updated because AutoRemove is enabled for the "
                         "container"));
        hc["RestartPolicy"] = {{"Name", string_of(policy, "Name")},
                               {"MaximumRetryCount", int_of(policy, "MaximumRetryCount")}};
    }
    return hc;
}

Json update_resources(const Json& update) {
    Json r = Json::object();
    Json cpu = Json::object();
    if (int64_t v = int_of(update, "CpuShares"); v != 0) cpu["shares"] = v;
    if (auto v = string_of(update, "CpusetCpus"); !v.empty()) cpu["cpus"] = v;
    if (auto v = string_of(update, "CpusetMems"); !v.empty()) cpu["mems"] = v;
    int64_t period = 0, quota = 0;
    if (int64_t nano = int_of(update, "NanoCpus"); nano != 0) {
        period = 100000;  // 100 ms, in µs
        quota = nano * period / 1000000000;
    }
    if (quota == 0) quota = int_of(update, "CpuQuota");
    if (period == 0) period = int_of(update, "CpuPeriod");
    if (period != 0) cpu["period"] = period;
    if (quota != 0) cpu["quota"] = quota;
    if (!cpu.empty()) r["cpu"] = cpu;
    Json memory = Json::object();
    if (int64_t v = int_of(update, "Memory"); v != 0) memory["limit"] = v;
    if (int64_t v = int_of(update, "MemoryReservation"); v != 0) memory["reservation"] = v;
    if (int64_t v = int_of(update, "MemorySwap"); v > 0) memory["swap"] = v;
    if (!memory.empty()) r["memory"] = memory;
    if (const Json& pids = member(update, "PidsLimit"); pids.is_number_integer())
        r["pids"] = {{"limit", pids.get<int64_t>() > 0 ? pids.get<int64_t>() : -1}};
    if (int64_t w = int_of(update, "BlkioWeight"); w != 0) r["blockIO"] = {{"weight", w}};
    return r;
}

}  // namespace berth::spec
