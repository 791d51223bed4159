// Linux capabilities by name, and applying the five OCI capability sets to the current process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// The number of a capability name ("CAP_SYS_ADMIN"), or nullopt if the name is unknown.
std::optional<int> capability_from_name(std::string_view name);
std::string_view capability_name(int cap);
// The highest capability number both the running kernel and this build know (the kernel's is
// /proc/sys/kernel/cap_last_cap).
int last_capability();
// Every capability name this build knows, in number order.
std::vector<std::string> all_capability_names();

// A capability set as a 64-bit mask (bit n = capability n).
struct CapabilityMasks {
    uint64_t bounding = 0, effective = 0, inheritable = 0, permitted = 0, ambient = 0;
};

// Turns names into masks; unknown names are returned in `unknown` (runc warns and skips them).
CapabilityMasks capability_masks(const oci::Capabilities& caps, std::vector<std::string>& unknown);

// Drops from the bounding set every capability not in masks.bounding. Needs CAP_SETPCAP.
Result<void> drop_bounding_set(const CapabilityMasks& masks);
// Sets effective, permitted and inheritable sets, then raises the ambient set.
Result<void> apply_capability_sets(const CapabilityMasks& masks);

}  // namespace berth::runtime
