// Passing file descriptors over a unix socket (SCM_RIGHTS): the one place that builds and reads
// the control messages, for the console socket, the seccomp listener and the monitor's packets.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

// The most fds one message carries here (the kernel's own limit, SCM_MAX_FD, is 253).
inline constexpr size_t kMaxPassedFds = 64;

// One sendmsg(2) of `data` with `fds` attached, retried on EINTR, without SIGPIPE. Returns the
// bytes sent (all of them on a datagram socket; maybe fewer on a stream one, and the fds go with
// this first part). More than kMaxPassedFds fds: an error, nothing sent. `what` names the errors.
Result<size_t> send_with_fds(int socket_fd, std::string_view data, std::span<const int> fds,
                             std::string_view what);

struct ReceivedMessage {
    size_t size = 0;            // bytes placed in the buffer; 0 with no fds: the peer closed
    bool truncated = false;     // the message was longer than the buffer (MSG_TRUNC)
    std::vector<UniqueFd> fds;  // close-on-exec, in the order sent
};

// One recvmsg(2) into `buffer`, taking up to `max_fds` (at most kMaxPassedFds) fds, retried on
// EINTR. A sender that attached more fds than that is an error (the kernel would have closed the
// rest: MSG_CTRUNC), and the fds that did arrive are closed. `what` names the errors.
Result<ReceivedMessage> receive_with_fds(int socket_fd, std::span<char> buffer, size_t max_fds,
                                         std::string_view what);

}  // namespace berth
