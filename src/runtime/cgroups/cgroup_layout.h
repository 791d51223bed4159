// How cgroups are mounted on this host: pure v2 (unified), pure v1, or hybrid (v1 controllers
// plus a cgroup2 mount, usually /sys/fs/cgroup/unified), and which cgroups this process is in.
//
// Everything is read from injectable paths (the cgroup root, mountinfo, /proc/self/cgroup), so
// tests describe a fake host with a temporary tree and two text files.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/mountinfo.h"

namespace berth::runtime::cgroups {

enum class CgroupLayout { V1, V2, Hybrid };
std::string_view to_string(CgroupLayout layout);

// One mounted v1 hierarchy (comounted controllers share one).
struct CgroupMount {
    std::string mount_point;               // "/sys/fs/cgroup/cpu,cpuacct"
    std::string root = "/";                // the hierarchy's directory mounted there
    std::vector<std::string> controllers;  // {"cpu", "cpuacct"}, {"name=systemd"}
};

struct CgroupHostPaths {
    std::string root = "/sys/fs/cgroup";
    std::string mountinfo = "/proc/self/mountinfo";
    std::string self_cgroup = "/proc/self/cgroup";
};

struct CgroupHost {
    CgroupLayout layout = CgroupLayout::V2;
    std::string root;             // "/sys/fs/cgroup"
    std::vector<CgroupMount> v1;  // V1 and Hybrid: one per hierarchy, in mountinfo order
    std::string unified;          // the cgroup2 mount point; empty on V1
    std::vector<std::string> unified_controllers;  // <unified>/cgroup.controllers
    // This process's cgroups (/proc/self/cgroup): v1 controller or "name=…" → path, "" → the
    // v2 path.
    std::map<std::string, std::string> own;

    const CgroupMount* mount_of(std::string_view controller) const;
    bool unified_has(std::string_view controller) const;
};

// V2 when the root holds cgroup.controllers (a cgroup2 mount); Hybrid when mountinfo shows a
// cgroup2 mount below the root; V1 when it shows cgroup (v1) mounts below it.
Result<CgroupLayout> detect_cgroup_layout(const std::string& root = "/sys/fs/cgroup",
                                          const std::string& mountinfo = "/proc/self/mountinfo");
// The layout plus the mounts, available controllers and this process's cgroups.
Result<CgroupHost> probe_cgroup_host(const CgroupHostPaths& paths = {});

// The cgroup and cgroup2 lines of a mountinfo file (octal escapes like \040 decoded).
std::vector<MountInfoEntry> parse_cgroup_mountinfo(std::string_view mountinfo);
// /proc/<pid>/cgroup: "4:memory:/a" → {"memory": "/a"}, "3:cpu,cpuacct:/" → both, "0::/x" →
// {"": "/x"}.
std::map<std::string, std::string> parse_proc_cgroup(std::string_view text);

}  // namespace berth::runtime::cgroups
