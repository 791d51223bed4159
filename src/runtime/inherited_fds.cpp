#include "runtime/inherited_fds.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

namespace berth::runtime {
namespace {

// Closes [first, last]; `last` may be UINT_MAX.
void close_span(unsigned first, unsigned last) {
    if (first > last) return;
    if (::syscall(SYS_close_range, first, last, 0) == 0) return;
    // Kernels before 5.9: one by one, up to the highest fd we could have.
    rlimit limit{};
    unsigned top = 65535;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        top = static_cast<unsigned>(std::min<rlim_t>(limit.rlim_cur, INT_MAX)) - 1;
    for (unsigned fd = first; fd <= std::min(last, top); ++fd)
        ::close(static_cast<int>(fd));
}

}  // namespace

void close_fds_except(int preserved, std::span<const int> keep) {
    unsigned first = 3 + static_cast<unsigned>(std::max(preserved, 0));
    std::vector<unsigned> kept;
    for (int fd : keep)
        if (fd >= 0 && static_cast<unsigned>(fd) >= first)
            kept.push_back(static_cast<unsigned>(fd));
    std::sort(kept.begin(), kept.end());
    for (unsigned fd : kept) {
        if (fd > first) close_span(first, fd - 1);
        first = std::max(first, fd + 1);
    }
    close_span(first, UINT_MAX);
}

void close_fds_except(int preserved, std::initializer_list<int> keep) {
    close_fds_except(preserved, std::span<const int>(keep.begin(), keep.size()));
}

}  // namespace berth::runtime
