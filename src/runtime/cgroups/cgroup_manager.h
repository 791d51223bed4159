// CgroupManager: one container's cgroup, whatever the host's cgroup layout.
//
// Contract
//   Lifecycle: make_cgroup_manager() computes the directories and touches nothing. create()
//   makes them (idempotent); apply() writes limits; add_process() moves a process in. The usual
//   order is create → apply → add_process (real-time CPU limits must be in place before a
//   SCHED_RR process joins); apply() may run again later for an update. destroy() kills what is
//   left and removes the directories; it tolerates a cgroup that is already gone. The manager
//   never removes anything on its own destruction: a cgroup outlives the runtime process that
//   made it, and later commands re-open it with open_cgroup_manager(paths()).
//   Resources: apply() takes OCI linux.resources. A field left out keeps its current setting;
//   `devices` present replaces the device policy (see resources.h). A limit for a controller
//   the host lacks is an Unsupported error naming it; `unified` needs cgroup v2.
//   Ownership: the manager owns nothing in the kernel; it shares its CgroupIo.
//   Threads: not thread-safe; use one manager from one thread at a time.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "runtime/cgroups/cgroup_io.h"
#include "runtime/cgroups/cgroup_layout.h"
#include "runtime/cgroups/cgroup_path.h"
#include "runtime/cgroups/cgroup_stats.h"
#include "runtime/cgroups/resources.h"

namespace berth::runtime::cgroups {

enum class FreezerState { Undefined, Thawed, Frozen };

// How a new process enters the cgroup as it is born, instead of being moved in afterwards: a
// move (add_process) takes the kernel's global threadgroup lock, and taking it waits for an RCU
// grace period, 7-15 ms per container start on this project's test machine. Two moves skip it:
// clone3(CLONE_INTO_CGROUP) into a v2 directory, and a process writing "0" (itself, one thread)
// into a v1 hierarchy's `tasks` file.
struct JoinAtBirth {
    UniqueFd clone_into;              // the v2 (or hybrid's unified) cgroup directory, or none
    std::vector<UniqueFd> self_join;  // v1 `tasks` files the new process writes "0" into
};

class CgroupManager {
  public:
    virtual ~CgroupManager() = default;

    virtual CgroupLayout layout() const = 0;
    // A directory for messages (v2: the cgroup; v1: the devices hierarchy's, or the first).
    virtual std::string path() const = 0;
    // Every directory by controller, for the container's state: v1 subsystem names ("cpu",
    // "name=systemd"), "" for the unified hierarchy. open_cgroup_manager() takes it back.
    virtual std::map<std::string, std::string> paths() const = 0;
    virtual bool exists() const = 0;

    // Makes the cgroup directories, their parents, and (v2) enables the controllers on the way.
    virtual Result<void> create() = 0;
    // Writes pid into cgroup.procs of every hierarchy.
    virtual Result<void> add_process(pid_t pid) = 0;
    // The files for a process to be born in the cgroup (after create()); see JoinAtBirth.
    virtual Result<JoinAtBirth> prepare_join_at_birth() = 0;
    // OCI linux.resources; see the contract above.
    Result<void> apply(const Json& resources);
    virtual Result<void> apply_resources(const Resources& resources) = 0;

    // Freezes every process and returns once the kernel reports the cgroup frozen.
    virtual Result<void> freeze() = 0;
    virtual Result<void> thaw() = 0;
    virtual Result<FreezerState> freezer_state() = 0;

    // Every process in the cgroup and its descendants.
    virtual Result<std::vector<pid_t>> pids() = 0;
    virtual Result<CgroupStats> stats() = 0;
    // How many times the OOM killer killed a process in the cgroup.
    virtual Result<uint64_t> oom_kill_count() = 0;
    // Sends `signal` to every process (v2 SIGKILL: cgroup.kill; otherwise frozen, each pid
    // signalled, thawed, so that nothing forks away meanwhile).
    virtual Result<void> kill_all(int signal) = 0;
    // Kills leftovers, then removes the directories (children first), retrying while the
    // kernel still counts exiting processes.
    virtual Result<void> destroy() = 0;
};

// Picks the implementation for the host's layout; computes the directories (nothing is
// created). `io` defaults to the real kernel.
Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const CgroupHost& host,
                                                           const CgroupPath& path,
                                                           std::shared_ptr<CgroupIo> io = nullptr);
// Re-opens the cgroup of an existing container from the paths() its manager reported, so that
// later commands do not depend on the cgroup they themselves run in.
Result<std::unique_ptr<CgroupManager>> open_cgroup_manager(
    const CgroupHost& host, const std::map<std::string, std::string>& paths,
    std::shared_ptr<CgroupIo> io = nullptr);

}  // namespace berth::runtime::cgroups
