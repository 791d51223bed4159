#include "base/kernel_version.h"

#include <sys/utsname.h>

#include "base/parse_int.h"

namespace berth {

KernelVersion kernel_version_of(std::string_view release) {
    KernelVersion version;
    auto major = parse_int_prefix<int>(release);
    if (!major) return version;
    version.major = major->first;
    if (!major->second.starts_with('.')) return version;
    if (auto minor = parse_int_prefix<int>(major->second.substr(1))) version.minor = minor->first;
    return version;
}

KernelVersion running_kernel_version() {
    utsname u{};
    if (::uname(&u) != 0) return {};
    return kernel_version_of(u.release);
}

}  // namespace berth
