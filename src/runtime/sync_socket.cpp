#include "runtime/sync_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <span>

#include "base/fd_passing.h"

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
    // One byte at least: a message without data carries no fds.
    TRY(send_with_fds(socket_fd, name.empty() ? std::string_view("\0", 1) : name,
                      std::span<const int>(&fd, 1), "send fd over socket"));
    return {};
}

Result<UniqueFd> receive_fd(int socket_fd) {
    char name[4096];
    auto message = TRY(receive_with_fds(socket_fd, name, 1, "receive fd from socket"));
    if (message.size == 0 && message.fds.empty())
        return fail(ErrorKind::Unavailable, "receive fd: peer closed the socket");
    if (message.fds.empty())
        return fail(ErrorKind::Internal, "receive fd: no file descriptor in message");
    return std::move(message.fds.front());
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

Result<ConsoleEnds> open_console_ends(bool terminal, bool proxy, const std::string& socket_path,
                                      int socket_fd) {
    ConsoleEnds ends;
    if (!terminal) return ends;
    if (!proxy) {
        ends.to_child = TRY_CTX(console_channel(socket_path, socket_fd), "console socket");
        return ends;
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return fail_errno("socketpair");
    ends.proxy_end.reset(pair[0]);
    ends.to_child.reset(pair[1]);
    return ends;
}

}  // namespace berth::runtime
