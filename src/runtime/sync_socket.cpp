#include "runtime/sync_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace berth::runtime {

Result<void> SyncSocket::send(SyncType type, std::string_view text) const {
    std::string packet;
    packet.reserve(text.size() + 1);
    packet += static_cast<char>(type);
    packet += text;
    for (;;) {
        ssize_t n = ::send(fd_.get(), packet.data(), packet.size(), MSG_NOSIGNAL);
        if (n >= 0) return {};
        if (errno != EINTR) return fail_errno("sync send");
    }
}

Result<SyncMessage> SyncSocket::receive() const {
    char buf[8192];
    for (;;) {
        ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("sync receive");
        }
        if (n == 0)
            return fail(ErrorKind::Unavailable, "the container process exited during setup");
        return SyncMessage{static_cast<SyncType>(buf[0]),
                           std::string(buf + 1, static_cast<size_t>(n - 1))};
    }
}

Result<void> SyncSocket::expect(SyncType expected) const {
    auto msg = TRY(receive());
    if (msg.type == SyncType::Error) return fail(ErrorKind::Internal, msg.text);
    if (msg.type != expected)
        return fail(ErrorKind::Internal,
                    std::string("sync: unexpected message '") + static_cast<char>(msg.type) + "'");
    return {};
}

Result<std::pair<SyncSocket, SyncSocket>> make_sync_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
        return fail_errno("socketpair");
    return std::pair{SyncSocket(UniqueFd(fds[0])), SyncSocket(UniqueFd(fds[1]))};
}

Result<void> send_fd(int socket_fd, int fd, std::string_view name) {
    msghdr msg{};
    iovec iov{const_cast<char*>(name.data()), name.size()};
    char dummy = '\0';
    if (name.empty()) iov = {&dummy, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
    for (;;) {
        if (::sendmsg(socket_fd, &msg, MSG_NOSIGNAL) >= 0) return {};
        if (errno != EINTR) return fail_errno("send fd over socket");
    }
}

Result<UniqueFd> receive_fd(int socket_fd) {
    msghdr msg{};
    char name[4096];
    iovec iov{name, sizeof name};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))]{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    for (;;) {
        ssize_t n = ::recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("receive fd from socket");
        }
        if (n == 0) return fail(ErrorKind::Unavailable, "receive fd: peer closed the socket");
        break;
    }
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    if (cmsg == nullptr || cmsg->cmsg_type != SCM_RIGHTS)
        return fail(ErrorKind::Internal, "receive fd: no file descriptor in message");
    int fd = -1;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
    return UniqueFd(fd);
}

Result<UniqueFd> connect_unix(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        return fail(ErrorKind::InvalidArgument, "socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno("socket");
    UniqueFd owned(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return fail_errno("connect to " + path);
    return owned;
}

Result<UniqueFd> console_channel(const std::string& path, int fd) {
    if (fd < 0) return connect_unix(path);
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return fail_errno("duplicate the console fd");
    return UniqueFd(copy);
}

}  // namespace berth::runtime
