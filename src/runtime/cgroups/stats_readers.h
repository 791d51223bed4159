// Reading CgroupStats from the files of cgroup v1 controllers and of a v2 cgroup.
//
// Each reader fills the part of `stats` its controller knows. A missing file counts as zero (a
// controller or knob this kernel lacks); an unreadable or malformed file is an error naming it.
#pragma once

#include <string>

#include "base/error.h"
#include "runtime/cgroups/cgroup_io.h"
#include "runtime/cgroups/cgroup_stats.h"

namespace berth::runtime::cgroups {

// v1, one per controller; `dir` is the container's directory in that controller's hierarchy.
Result<void> read_v1_cpu_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_cpuacct_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_cpuset_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_memory_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_pids_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_blkio_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v1_hugetlb_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);

// v2: everything the unified cgroup `dir` reports.
Result<void> read_v2_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);
Result<void> read_v2_hugetlb_stats(CgroupIo& io, const std::string& dir, CgroupStats& stats);

}  // namespace berth::runtime::cgroups
