// CgroupV1Manager: one directory per mounted v1 hierarchy (comounted controllers, such as
// "cpu,cpuacct", share one), written the way runc's fs driver writes them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/cgroups/cgroup_manager.h"

namespace berth::runtime::cgroups {

struct V1Hierarchy {
    std::vector<std::string> controllers;  // {"cpu", "cpuacct"}, {"name=systemd"}
    std::string mount_point;
    std::string dir;  // the container's directory in it
};

class CgroupV1Manager : public CgroupManager {
  public:
    CgroupV1Manager(std::vector<V1Hierarchy> hierarchies, std::shared_ptr<CgroupIo> io);

    // The hierarchies of `host` the container joins (every controller hierarchy and
    // name=systemd), with the directories `path` names in them.
    static std::vector<V1Hierarchy> hierarchies_for(const CgroupHost& host, const CgroupPath& path);

    CgroupLayout layout() const override { return CgroupLayout::V1; }
    std::string path() const override;
    std::map<std::string, std::string> paths() const override;
    bool exists() const override;

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

    // Controller bits (resources.h) of the mounted hierarchies.
    uint32_t available() const;
    // Applies the parts of `resources` for the controllers in `mask` only (the hybrid manager
    // hands the others to the unified hierarchy). Unified key/values are not looked at.
    Result<void> apply_controllers(const Resources& resources, uint32_t mask);
    // Signals every process, with the cgroup frozen meanwhile when a freezer is mounted.
    Result<void> signal_all(int signal);

  private:
    // The directory of the hierarchy holding `controller`, or "" when none is mounted.
    std::string dir_of(std::string_view controller) const;
    Result<void> make_cpuset_dirs(const V1Hierarchy& h);
    Result<void> set_cpuset(const std::string& dir, const Resources& r);
    Result<void> set_devices(const std::string& dir, const std::vector<DeviceRule>& rules);
    Result<void> set_memory(const std::string& dir, const Resources::Memory& m);
    Result<void> set_cpu(const std::string& dir, const Resources::Cpu& c);
    Result<void> set_blkio(const std::string& dir, const Resources::BlockIo& b);
    Result<void> set_hugetlb(const std::string& dir, const std::vector<HugepageLimit>& limits);
    Result<void> write(const std::string& dir, std::string_view file, std::string_view value);

    std::vector<V1Hierarchy> hierarchies_;
    std::shared_ptr<CgroupIo> io_;
};

}  // namespace berth::runtime::cgroups
