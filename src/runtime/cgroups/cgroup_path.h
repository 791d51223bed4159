// Where a container's cgroup goes: linux.cgroupsPath resolved the way runc resolves it, and
// the directory that path names in each hierarchy.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "runtime/cgroups/cgroup_layout.h"

namespace berth::runtime::cgroups {

struct CgroupPath {
    // Cleaned; absolute ("/docker/abc": from the root of each hierarchy) or relative
    // ("berth/abc": below the runtime's own cgroup).
    std::string path;
    bool relative() const { return path.empty() || path.front() != '/'; }
};

// linux.cgroupsPath → CgroupPath:
//   "/docker/abc"             absolute, as is (cleaned; ".." cannot climb above the root)
//   "berth/abc"               relative to the runtime's own cgroup, as runc does
//   ""                        "<container id>", relative (runc's default)
//   "system.slice:docker:abc" the systemd form, mapped to the cgroupfs path systemd would use
//                             ("/system.slice/docker-abc.scope"; an empty slice is system.slice)
// The root cgroup itself ("/", "..") is refused: a container must not own it.
Result<CgroupPath> resolve_cgroup_path(std::string_view cgroups_path,
                                       std::string_view container_id);

// A systemd slice name as a cgroup path: "a-b.slice" → "/a.slice/a-b.slice", "-.slice" → "/".
Result<std::string> expand_systemd_slice(std::string_view slice);

// The container's directory in one v1 hierarchy: absolute paths from the mount point, relative
// ones below this process's cgroup in that hierarchy.
std::string v1_cgroup_dir(const CgroupHost& host, const CgroupMount& mount, const CgroupPath& path);
// The container's directory in the unified hierarchy. Relative paths go below the parent of
// this process's cgroup on V2 (runc's fs2 driver: the process's own cgroup usually holds
// processes, so no controller could be enabled below it), and below the unified root on Hybrid
// (runc's v1 driver).
std::string v2_cgroup_dir(const CgroupHost& host, const CgroupPath& path);

}  // namespace berth::runtime::cgroups
