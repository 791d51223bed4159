// cgroup v2 device control: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE generated from
// a DevicePolicy, loaded with bpf(2) and attached to the cgroup (BPF_CGROUP_DEVICE,
// BPF_F_ALLOW_MULTI). The program has the shape of runc's and crun's device filter:
//
//   r2 = type (ctx->access_type & 0xffff), r3 = access (ctx->access_type >> 16),
//   r4 = major, r5 = minor
//   for each exception: if it matches (type, major, minor, and access ⊆ rule for an allow
//   exception or access ∩ rule ≠ ∅ for a deny exception, as the v1 kernel): return !default
//   return default
#pragma once

#include "base/error.h"
#include "runtime/cgroups/cgroup_io.h"
#include "runtime/cgroups/device_rules.h"

namespace berth::runtime::cgroups {

BpfProgram build_device_filter(const DevicePolicy& policy);

// Loads `program` and attaches it to the cgroup directory `cgroup_dirfd`, then detaches the
// device programs that were attached there before (so an update replaces the policy).
Result<void> attach_device_filter(int cgroup_dirfd, const BpfProgram& program);

}  // namespace berth::runtime::cgroups
