#include "monitor/monitor_loop.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "base/parse_int.h"
#include "base/socket_address.h"

namespace berth::monitor {
namespace {

constexpr int kDrainMillis = 2000;
constexpr int kReparentTries = 500;
constexpr useconds_t kReparentPollMicros = 10000;

Result<void> resize_terminal(int fd, const Json& message) {
    if (fd < 0) return fail(ErrorKind::Conflict, "the container has no terminal");
    winsize size{};
    size.ws_row = message.value("height", 0);
    size.ws_col = message.value("width", 0);
    if (::ioctl(fd, TIOCSWINSZ, &size) < 0) return fail_errno("resize the terminal");
    return {};
}

}  // namespace

Result<ControlServer> ControlServer::listen(std::string path) {
    sockaddr_un addr{};
    UniqueFd dir;
    TRY(unix_socket_address(path, addr, dir));
    UniqueFd listener(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!listener.valid()) return fail_errno("socket");
    ::unlink(path.c_str());
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return fail_errno("bind " + path);
    ::chmod(path.c_str(), 0600);
    if (::listen(listener.get(), 16) < 0) return fail_errno("listen " + path);
    return ControlServer(std::move(path), std::move(listener));
}

ControlServer::~ControlServer() {
    stop_listening();
}

void ControlServer::stop_listening() {
    if (!listener_.valid()) return;
    ::unlink(path_.c_str());
    listener_.reset();
}

void ControlServer::add_poll_fds(std::vector<pollfd>& fds) const {
    fds.push_back({listener_.get(), static_cast<short>(listener_.valid() ? POLLIN : 0), 0});
    for (const auto& c : connections_)
        fds.push_back({c.get(), POLLIN, 0});
}

void ControlServer::handle(const std::vector<pollfd>& fds, size_t first, StdioRelay& relay) {
    // Connections first (backwards, so that closing one keeps the others' indexes), then new
    // ones: a connection accepted now has no entry in `fds` yet.
    for (size_t i = connections_.size(); i-- > 0;)
        if (fds[first + 1 + i].revents) serve(i, relay);
    if (listener_.valid() && fds[first].revents & POLLIN) {
        for (;;) {
            int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) break;
            connections_.emplace_back(fd);
        }
    }
}

void ControlServer::serve(size_t index, StdioRelay& relay) {
    int fd = connections_[index].get();
    auto packet = receive_packet(fd);
    if (!packet || (packet->text.empty() && packet->fds.empty())) {
        connections_.erase(connections_.begin() + static_cast<std::ptrdiff_t>(index));
        return;
    }
    Result<void> done;
    auto message = parse_json(packet->text, "monitor request");
    if (!message) {
        done = fail(std::move(message).error());
    } else {
        std::string op = message->is_object() ? message->value("op", "") : "";
        if (op == "attach") {
            auto request = attach_from_json(*message);
            if (!request)
                done = fail(std::move(request).error());
            else if (packet->fds.empty())
                done = fail(ErrorKind::InvalidArgument, "attach: no connection passed");
            else
                relay.add_client(std::move(packet->fds.front()), *request);
        } else if (op == "resize") {
            done = resize_terminal(relay.terminal_fd(), *message);
        } else {
            done = fail(ErrorKind::InvalidArgument, "unknown monitor request '" + op + "'");
        }
    }
    Json reply = done ? Json{{"ok", true}} : Json{{"error", done.error().message()}};
    (void)send_packet(fd, reply.dump());
}

Result<int> pump_until_exit(pid_t pid, StdioRelay& relay, ControlServer* control,
                            SettledTask settled) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) return fail_errno("pidfd_open");
    auto settle_at = std::chrono::steady_clock::now() + settled.after;
    for (;;) {
        std::vector<pollfd> extra{{pidfd.get(), POLLIN, 0}};
        if (control) control->add_poll_fds(extra);
        int timeout = -1;
        if (settled.run) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(
                settle_at - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                std::exchange(settled.run, nullptr)();
                continue;
            }
            timeout = static_cast<int>(left.count());
        }
        TRY(relay.poll_once(extra, timeout));
        if (control) control->handle(extra, 1, relay);
        if (extra[0].revents) break;
    }
    int status = 0;
    // A process an external runtime started may exit while the runtime's last helper (crun's
    // detached child) is still its parent; it becomes ours (a subreaper's) when that one exits.
    for (int tries = 0; ::waitpid(pid, &status, 0) < 0;) {
        if (errno == EINTR) continue;
        if (errno != ECHILD || ++tries > kReparentTries) return fail_errno("waitpid");
        ::usleep(kReparentPollMicros);
    }
    // What the process wrote just before it exited is still in the pipes.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDrainMillis);
    while (relay.output_open()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
        if (left <= 0) break;
        std::vector<pollfd> none;
        TRY(relay.poll_once(none, static_cast<int>(left)));
    }
    return status;
}

void mark_cloexec_from(int first, const std::vector<int>& keep) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return;
    int own = ::dirfd(dir);
    while (auto* entry = ::readdir(dir)) {
        auto fd = parse_int<int>(entry->d_name);
        if (!fd || *fd < first || *fd == own) continue;
        if (std::find(keep.begin(), keep.end(), *fd) != keep.end()) continue;
        ::fcntl(*fd, F_SETFD, FD_CLOEXEC);
    }
    ::closedir(dir);
}

void detach_from_daemon_session() {
    ::setsid();
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace berth::monitor
