// Operations on one cgroup directory tree shared by the v1 and v2 managers: making it, moving a
// process in, listing its processes, removing it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/cgroups/cgroup_io.h"

namespace berth::runtime::cgroups {

// Makes `dir` and every missing directory between `top` (which exists: a mount point) and it.
Result<void> make_cgroup_dirs(CgroupIo& io, const std::string& top, const std::string& dir);

// Writes pid to dir/cgroup.procs, retrying EINVAL a few times (a task still in TASK_NEW).
Result<void> join_cgroup(CgroupIo& io, const std::string& dir, pid_t pid);

// The pids in dir/cgroup.procs of `dir` and every cgroup below it.
Result<std::vector<pid_t>> cgroup_pids_recursive(CgroupIo& io, const std::string& dir);

// Removes `dir` and the cgroups below it (children first); rmdir is retried with a growing
// delay while it fails with EBUSY (processes still exiting). A missing `dir` is fine.
Result<void> remove_cgroup_tree(CgroupIo& io, const std::string& dir);

// Polls `list` until it returns no pids or `timeout_ms` passes; true when empty.
template <typename F>
bool wait_until_empty(F&& list, int timeout_ms);

void sleep_ms(int ms);

template <typename F>
bool wait_until_empty(F&& list, int timeout_ms) {
    for (int waited = 0;; waited += 10) {
        auto pids = list();
        if (pids && pids->empty()) return true;
        if (waited >= timeout_ms) return false;
        sleep_ms(10);
    }
}

}  // namespace berth::runtime::cgroups
