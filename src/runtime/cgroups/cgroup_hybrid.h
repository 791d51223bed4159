// CgroupHybridManager: a hybrid host's v1 controllers plus its cgroup2 mount (usually
// /sys/fs/cgroup/unified). The container joins both, as with runc; each limit goes to the
// hierarchy that has its controller, v1 first (on this project's CI the unified mount holds
// hugetlb alone), and device rules go to an eBPF program on the unified cgroup when no v1
// devices controller is mounted.
#pragma once

#include "runtime/cgroups/cgroup_v1.h"
#include "runtime/cgroups/cgroup_v2.h"

namespace berth::runtime::cgroups {

class CgroupHybridManager : public CgroupManager {
  public:
    CgroupHybridManager(CgroupV1Manager v1, CgroupV2Manager unified);

    CgroupLayout layout() const override { return CgroupLayout::Hybrid; }
    std::string path() const override { return v1_.path(); }
    std::map<std::string, std::string> paths() const override;
    bool exists() const override { return v1_.exists() || unified_.exists(); }

    Result<void> create() override;
    Result<void> add_process(pid_t pid) override;
    Result<JoinAtBirth> prepare_join_at_birth() override;
    Result<void> apply_resources(const Resources& resources) override;
    Result<void> freeze() override;
    Result<void> thaw() override;
    Result<FreezerState> freezer_state() override;
    Result<std::vector<pid_t>> pids() override;
    Result<CgroupStats> stats() override;
    Result<uint64_t> oom_kill_count() override;
    Result<void> kill_all(int signal) override;
    Result<void> destroy() override;

  private:
    // Controllers only the unified hierarchy has (hugetlb on this project's CI).
    uint32_t unified_only();

    CgroupV1Manager v1_;
    CgroupV2Manager unified_;
};

}  // namespace berth::runtime::cgroups
