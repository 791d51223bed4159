// CgroupV2Manager: one directory in the unified hierarchy, written the way runc's fs2 driver
// writes it (v1-style OCI values converted: cpu.shares → cpu.weight, blkio weight → io.weight,
// memory+swap → memory.swap.max), with devices enforced by an eBPF program.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "runtime/cgroups/cgroup_manager.h"

namespace berth::runtime::cgroups {

class CgroupV2Manager : public CgroupManager {
  public:
    // `unified` is the cgroup2 mount point, `dir` the container's directory below it.
    CgroupV2Manager(const std::string& unified, const std::string& dir,
                    std::shared_ptr<CgroupIo> io);

    CgroupLayout layout() const override { return CgroupLayout::V2; }
    std::string path() const override { return dir_; }
    std::map<std::string, std::string> paths() const override { return {{"", dir_}}; }
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

    // Controller bits available in this hierarchy (the root's cgroup.controllers, plus devices
    // and freezer, which every cgroup2 has).
    uint32_t available();
    // Applies the parts of `resources` for the controllers in `mask` only.
    Result<void> apply_controllers(const Resources& resources, uint32_t mask);
    // Writes linux.resources.unified (file name → content, line by line); with `allowed`, only
    // keys of those controllers (and "cgroup.*") are accepted.
    Result<void> apply_unified(const std::map<std::string, std::string>& unified,
                               std::optional<uint32_t> allowed = std::nullopt);
    // Adds the hugetlb counters of this cgroup to `stats`.
    Result<void> read_hugetlb_stats(CgroupStats& stats);
    // Kills everything at once through cgroup.kill; false when the kernel lacks it (< 5.14).
    Result<bool> kill_via_cgroup_kill();

  private:
    Result<std::vector<std::string>> root_controllers();
    Result<void> set_memory(const Resources::Memory& m);
    Result<void> set_cpu(const Resources::Cpu& c);
    Result<void> set_io(const Resources::BlockIo& b);
    Result<void> set_hugetlb(const std::vector<HugepageLimit>& limits);
    Result<void> set_devices(const std::vector<DeviceRule>& rules);
    Result<void> write(std::string_view file, std::string_view value);

    std::string unified_;
    std::string dir_;
    std::shared_ptr<CgroupIo> io_;
    std::optional<std::vector<std::string>> controllers_;  // cached root cgroup.controllers
};

}  // namespace berth::runtime::cgroups
