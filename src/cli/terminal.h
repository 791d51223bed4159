// The local terminal and signals for attached commands (run -it, attach, exec -it): raw mode
// that is undone on every path, the window size, and signals delivered as file-descriptor reads
// (signalfd) instead of asynchronous handlers.
#pragma once

#include <signal.h>
#include <termios.h>

#include <initializer_list>
#include <optional>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::cli {

// Puts a terminal in raw mode; the destructor restores the settings it found.
class RawTerminal {
  public:
    static Result<RawTerminal> enter(int fd);
    RawTerminal(RawTerminal&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}
    RawTerminal& operator=(RawTerminal&&) = delete;
    ~RawTerminal();

  private:
    RawTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
    int fd_ = -1;
    termios saved_{};
};

struct WindowSize {
    unsigned rows = 0, columns = 0;
};
std::optional<WindowSize> window_size(int fd);

// Blocks `signals` in this thread (and the threads it starts later) and reads them from a
// signalfd; the destructor unblocks them again.
class SignalWatch {
  public:
    static Result<SignalWatch> watch(std::initializer_list<int> signals);
    SignalWatch(SignalWatch&& other) noexcept
        : fd_(std::move(other.fd_)),
          previous_(other.previous_),
          active_(std::exchange(other.active_, false)) {}
    SignalWatch& operator=(SignalWatch&&) = delete;
    ~SignalWatch();

    int fd() const { return fd_.get(); }
    // The next pending signal, or nullopt when none is pending.
    std::optional<int> next();

  private:
    SignalWatch() = default;
    UniqueFd fd_;
    sigset_t previous_{};
    bool active_ = false;
};

}  // namespace berth::cli
