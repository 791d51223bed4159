#include "cli/terminal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace berth::cli {

Result<RawTerminal> RawTerminal::enter(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0) return fail_errno("read terminal settings");
    termios raw = saved;
    // The container's pty already turns "\n" into "\r\n": no output processing here either.
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) != 0) return fail_errno("set terminal to raw mode");
    return RawTerminal(fd, saved);
}

RawTerminal::~RawTerminal() {
    if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
}

std::optional<WindowSize> window_size(int fd) {
    winsize size{};
    if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return std::nullopt;
    return WindowSize{size.ws_row, size.ws_col};
}

Result<SignalWatch> SignalWatch::watch(std::initializer_list<int> signals) {
    SignalWatch watch;
    sigset_t set;
    sigemptyset(&set);
    for (int signal : signals)
        sigaddset(&set, signal);
    if (int err = ::pthread_sigmask(SIG_BLOCK, &set, &watch.previous_); err != 0)
        return fail_errno("block signals", err);
    watch.active_ = true;
    watch.fd_ = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!watch.fd_) return fail_errno("signalfd");
    return watch;
}

SignalWatch::~SignalWatch() {
    if (active_) ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalWatch::next() {
    signalfd_siginfo info{};
    if (::read(fd_.get(), &info, sizeof info) != sizeof info) return std::nullopt;
    return static_cast<int>(info.ssi_signo);
}

}  // namespace berth::cli
