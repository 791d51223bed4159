#include "runtime/cgroups/cgroup_hybrid.h"

#include <signal.h>

#include "runtime/cgroups/cgroup_tree.h"

namespace berth::runtime::cgroups {

CgroupHybridManager::CgroupHybridManager(CgroupV1Manager v1, CgroupV2Manager unified)
    : v1_(std::move(v1)), unified_(std::move(unified)) {}

std::map<std::string, std::string> CgroupHybridManager::paths() const {
    auto out = v1_.paths();
    out[""] = unified_.path();
    return out;
}

uint32_t CgroupHybridManager::unified_only() {
    return unified_.available() & ~v1_.available();
}

Result<void> CgroupHybridManager::create() {
    TRY(v1_.create());
    return unified_.create();
}

Result<void> CgroupHybridManager::add_process(pid_t pid) {
    TRY(v1_.add_process(pid));
    return unified_.add_process(pid);
}

Result<JoinAtBirth> CgroupHybridManager::prepare_join_at_birth() {
    JoinAtBirth join = TRY(v1_.prepare_join_at_birth());
    join.clone_into = std::move(TRY(unified_.prepare_join_at_birth()).clone_into);
    return join;
}

Result<void> CgroupHybridManager::apply_resources(const Resources& r) {
    uint32_t needed = controllers_needed(r);
    uint32_t on_v1 = needed & v1_.available();
    // net_cls and net_prio exist in v1 only.
    uint32_t on_unified = needed & ~on_v1 & unified_only() & ~(kNetCls | kNetPrio);
    if (uint32_t missing = needed & ~(on_v1 | on_unified))
        return fail(ErrorKind::Unsupported, "cannot set " + controller_names(missing) +
                                                " limits: no such cgroup controller is mounted");
    TRY(v1_.apply_controllers(r, on_v1));
    TRY(unified_.apply_controllers(r, on_unified));
    // Unified key/values only for what the unified hierarchy controls here.
    return unified_.apply_unified(r.unified, unified_only() & ~(kDevices | kFreezer));
}

Result<void> CgroupHybridManager::freeze() {
    if (v1_.available() & kFreezer) return v1_.freeze();
    return unified_.freeze();
}

Result<void> CgroupHybridManager::thaw() {
    if (v1_.available() & kFreezer) return v1_.thaw();
    return unified_.thaw();
}

Result<FreezerState> CgroupHybridManager::freezer_state() {
    if (v1_.available() & kFreezer) return v1_.freezer_state();
    return unified_.freezer_state();
}

Result<std::vector<pid_t>> CgroupHybridManager::pids() {
    return v1_.pids();
}

Result<CgroupStats> CgroupHybridManager::stats() {
    auto s = TRY(v1_.stats());
    if ((unified_only() & kHugetlb) && unified_.exists())
        TRY_CTX(unified_.read_hugetlb_stats(s), "hugetlb stats");
    return s;
}

Result<uint64_t> CgroupHybridManager::oom_kill_count() {
    if (v1_.available() & kMemory) return v1_.oom_kill_count();
    return unified_.oom_kill_count();
}

Result<void> CgroupHybridManager::kill_all(int signal) {
    // Every process is in the unified cgroup too, so cgroup.kill (5.14+) reaches them all.
    if (signal == SIGKILL && unified_.exists() && TRY(unified_.kill_via_cgroup_kill())) return {};
    return v1_.signal_all(signal);
}

Result<void> CgroupHybridManager::destroy() {
    if (exists()) {
        auto list = pids();
        if (list && !list->empty()) {
            (void)kill_all(SIGKILL);
            wait_until_empty([&] { return pids(); }, 2000);
        }
    }
    auto v1 = v1_.destroy();
    auto unified = unified_.destroy();
    if (!v1) return v1;
    return unified;
}

}  // namespace berth::runtime::cgroups
