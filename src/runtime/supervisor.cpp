#include "runtime/supervisor.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "runtime/console.h"

namespace berth::runtime {

BlockedSignals::BlockedSignals() {
    sigfillset(&blocked_);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS})
        sigdelset(&blocked_, sig);
    ::sigprocmask(SIG_BLOCK, &blocked_, &previous_);
}

BlockedSignals::~BlockedSignals() {
    ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
}

Result<int> supervise(ChildProcess& child, const BlockedSignals& signals,
                      UniqueFd terminal_master) {
    int sfd = ::signalfd(-1, &signals.set(), SFD_CLOEXEC);
    if (sfd < 0) return fail_errno("signalfd");
    UniqueFd signal_fd(sfd);
    std::optional<TerminalProxy> proxy;
    if (terminal_master) proxy.emplace(std::move(terminal_master));

    std::optional<int> exit_status;
    bool master_open = proxy.has_value();
    while (!exit_status || master_open) {
        pollfd fds[3] = {{sfd, POLLIN, 0}, {-1, POLLIN, 0}, {-1, POLLIN, 0}};
        if (proxy && master_open) fds[1].fd = proxy->master();
        if (proxy && master_open && proxy->stdin_open() && !exit_status) fds[2].fd = 0;
        // Once the process exited, only drain what its terminal still holds.
        int timeout = exit_status ? 100 : -1;
        int n = ::poll(fds, 3, timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("poll");
        }
        if (n == 0) break;  // exited and the terminal is quiet
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(sfd, &info, sizeof info) == sizeof info) {
                int sig = static_cast<int>(info.ssi_signo);
                if (sig == SIGCHLD) {
                    auto status = child.running() ? child.try_wait() : Result<int>(-1);
                    if (status && *status >= 0) exit_status = exit_code_of(*status);
                    // Reap any other children (a terminal proxy has none; be safe).
                    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
                    }
                } else if (sig == SIGWINCH) {
                    if (proxy) proxy->resize_from_stdin();
                } else if (sig != SIGURG && child.running()) {
                    (void)child.signal(sig);
                }
            }
        }
        if (proxy && master_open && (fds[1].revents || fds[2].revents)) {
            master_open = proxy->pump(fds[1].revents, fds[2].revents);
        }
    }
    if (!exit_status) {
        auto status = TRY(child.wait());
        exit_status = exit_code_of(status);
    }
    return *exit_status;
}

}  // namespace berth::runtime
