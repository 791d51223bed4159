#include "monitor/zygote.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/unique_fd.h"
#include "monitor/container_monitor.h"
#include "monitor/monitor_protocol.h"

namespace berth::monitor {
namespace {

// Received fds are parked this high before they move to their numbers, so that none sits on a
// number another one moves to.
constexpr int kParkFloor = 100;

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
[[noreturn]] void become_monitor(Packet& request, const CommandLine& line, const char* program) {
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGCHLD, SIG_DFL);  // the monitor waits for its container
    retitle(line, program, request.text);
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
    ::_exit(run_container_monitor(request.text, true));
}

}  // namespace

Result<void> request_monitor(int socket, const std::string& dir, int status_fd,
                             const std::vector<int>& inherited) {
    std::vector<int> fds{status_fd};
    fds.insert(fds.end(), inherited.begin(), inherited.end());
    return send_packet(socket, dir, fds);
}

int run_monitor_zygote(int argc, char** argv) {
    // Monitors are forked from this process: it holds nothing but its socket and stdio. They
    // are reaped by the kernel (SIGCHLD ignored): nothing here waits for them.
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_IGN);
    std::string program = argv[0];
    CommandLine line{
        argv[0], static_cast<size_t>(argv[argc - 1] - argv[0]) + std::strlen(argv[argc - 1]) + 1};
    for (;;) {
        // Its end (berthd gone), or an error that ends the zygote.
        auto request = receive_packet(kZygoteFd);
        if (!request || (request->text.empty() && request->fds.empty())) return 0;
        if (request->fds.empty()) continue;
        if (::fork() == 0) become_monitor(*request, line, program.c_str());
        // A failed fork shows as the end of the status pipe, whose write end goes with
        // `request`: berthd reports that the monitor exited without starting the container.
    }
}

}  // namespace berth::monitor
