// The Linux kernel's version, for features that depend on it (recursive read-only mounts from
// 5.12, seccomp rules with a minimum kernel).
#pragma once

#include <compare>
#include <string_view>

namespace berth {

struct KernelVersion {
    int major = 0;
    int minor = 0;
    auto operator<=>(const KernelVersion&) const = default;
};

// The leading "major.minor" of a kernel release ("6.1.0-18-amd64" → 6.1, "6" → 6.0); what is not
// there reads as 0.
KernelVersion kernel_version_of(std::string_view release);

// The running kernel's, from uname(2); 0.0 if uname fails.
KernelVersion running_kernel_version();

}  // namespace berth
