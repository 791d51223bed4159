#include "monitor/zygote.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "base/unique_fd.h"
#include "monitor/container_monitor.h"
#include "monitor/monitor_protocol.h"

namespace berth::monitor {
namespace {

constexpr size_t kMaxDirLength = 4096;
// Received fds are parked this high before they move to their numbers, so that none sits on a
// number another one moves to.
constexpr int kParkFloor = 100;

struct Request {
    std::string dir;
    std::vector<UniqueFd> fds;  // status pipe first
};

// nullopt at the socket's end (or on an error that ends the zygote).
std::optional<Request> receive_request(int socket) {
    Request request;
    request.dir.resize(kMaxDirLength + 1);
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxZygoteFds)];
    iovec iov{request.dir.data(), request.dir.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return std::nullopt;
    for (cmsghdr* h = CMSG_FIRSTHDR(&msg); h != nullptr; h = CMSG_NXTHDR(&msg, h)) {
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            request.fds.emplace_back(fd);
        }
    }
    request.dir.resize(static_cast<size_t>(n));
    return request;
}

// The command line memory of this process: its arguments, one after the other.
struct CommandLine {
    char* start;
    size_t size;
};

// Writes "berth-monitor container DIR" over the command line (as much as fits), NUL-separated
// and NUL-filled: what ps and pgrep show of a monitor, as if it had been executed so.
void retitle(const CommandLine& line, const char* program, const std::string& dir) {
    std::string title = std::string(program) + '\0' + "container" + '\0' + dir;
    size_t n = std::min(title.size(), line.size - 1);
    std::memcpy(line.start, title.data(), n);
    std::memset(line.start + n, 0, line.size - n);
}

// In the forked child: the request's fds at the numbers a spawned monitor has them, everything
// else of the zygote's gone; then the monitor proper.
[[noreturn]] void become_monitor(Request& request, const CommandLine& line, const char* program) {
    retitle(line, program, request.dir);
    ::close(kZygoteFd);
    std::vector<int> parked;
    for (auto& fd : request.fds) {
        parked.push_back(::fcntl(fd.get(), F_DUPFD_CLOEXEC, kParkFloor));
        fd.reset();
    }
    for (size_t i = 0; i < parked.size(); ++i) {
        int target = i == 0 ? kStatusFd : kFirstInheritedFd + static_cast<int>(i - 1);
        if (parked[i] < 0 || ::dup2(parked[i], target) < 0) ::_exit(1);
        ::close(parked[i]);
    }
    ::_exit(run_container_monitor(request.dir));
}

}  // namespace

Result<void> request_monitor(int socket, const std::string& dir, int status_fd,
                             const std::vector<int>& inherited) {
    if (dir.size() > kMaxDirLength || inherited.size() + 1 > kMaxZygoteFds)
        return fail(ErrorKind::InvalidArgument, "monitor request too large");
    std::vector<int> fds{status_fd};
    fds.insert(fds.end(), inherited.begin(), inherited.end());
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxZygoteFds)]{};
    iovec iov{const_cast<char*>(dir.data()), dir.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* h = CMSG_FIRSTHDR(&msg);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(h), fds.data(), sizeof(int) * fds.size());
    ssize_t n;
    do {
        n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return fail_errno("ask the monitor zygote");
    return {};
}

int run_monitor_zygote(int argc, char** argv) {
    // Monitors are forked from this process: it holds nothing but its socket and stdio.
    ::signal(SIGPIPE, SIG_IGN);
    std::string program = argv[0];
    CommandLine line{
        argv[0], static_cast<size_t>(argv[argc - 1] - argv[0]) + std::strlen(argv[argc - 1]) + 1};
    for (;;) {
        auto request = receive_request(kZygoteFd);
        if (!request) return 0;
        if (request->fds.empty()) continue;
        pid_t child = ::fork();
        if (child == 0) {
            ::signal(SIGPIPE, SIG_DFL);
            become_monitor(*request, line, program.c_str());
        }
        // The child forks the monitor proper and exits at once (or fails before).
        if (child > 0)
            while (::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
            }
    }
}

}  // namespace berth::monitor
