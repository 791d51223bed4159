#include "base/fd_passing.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace berth {
namespace {

// Room for the most fds a message may carry, aligned as the CMSG_* macros want.
struct ControlBuffer {
    alignas(cmsghdr) char bytes[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
};

std::vector<UniqueFd> fds_of(msghdr& msg) {
    std::vector<UniqueFd> fds;
    for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            fds.emplace_back(fd);
        }
    }
    return fds;
}

}  // namespace

Result<size_t> send_with_fds(int socket_fd, std::string_view data, std::span<const int> fds,
                             std::string_view what) {
    if (fds.size() > kMaxPassedFds)
        return fail(ErrorKind::InvalidArgument,
                    std::string(what) + ": too many fds (" + std::to_string(fds.size()) + ")");
    msghdr msg{};
    iovec iov{const_cast<char*>(data.data()), data.size()};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ControlBuffer control{};
    if (!fds.empty()) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
        cmsghdr* header = CMSG_FIRSTHDR(&msg);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        ssize_t n = ::sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EINTR) return fail_errno(what);
    }
}

Result<ReceivedMessage> receive_with_fds(int socket_fd, std::span<char> buffer, size_t max_fds,
                                         std::string_view what) {
    if (max_fds > kMaxPassedFds) max_fds = kMaxPassedFds;
    msghdr msg{};
    iovec iov{buffer.data(), buffer.size()};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ControlBuffer control;
    if (max_fds > 0) {
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * max_fds);
    }
    ssize_t n;
    do {
        n = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno(what);
    ReceivedMessage received{static_cast<size_t>(n), (msg.msg_flags & MSG_TRUNC) != 0, fds_of(msg)};
    if (msg.msg_flags & MSG_CTRUNC)  // the fds that arrived close with `received`
        return fail(ErrorKind::InvalidArgument, std::string(what) + ": more fds than the " +
                                                    std::to_string(max_fds) + " expected");
    if (received.size > buffer.size()) received.size = buffer.size();
    return received;
}

}  // namespace berth
