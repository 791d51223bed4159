// The part of a monitor's life that the container and exec monitors share: the control socket
// (attach, resize) and pumping stdio until the watched process has exited and its outputs are
// drained.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "monitor/stdio_relay.h"

namespace berth::monitor {

// monitor.sock: a SOCK_SEQPACKET listener and its connections.
class ControlServer {
  public:
    static Result<ControlServer> listen(std::string path);
    ControlServer(ControlServer&&) = default;
    ControlServer& operator=(ControlServer&&) = default;
    ~ControlServer();

    // The fds to poll (listener first, then connections), and servicing them afterwards.
    void add_poll_fds(std::vector<pollfd>& fds) const;
    void handle(const std::vector<pollfd>& fds, size_t first, StdioRelay& relay);
    // Closes the listener (and unlinks the socket) so that no one connects any more.
    void stop_listening();

  private:
    ControlServer(std::string path, UniqueFd listener)
        : path_(std::move(path)), listener_(std::move(listener)) {}
    void serve(size_t index, StdioRelay& relay);

    std::string path_;
    UniqueFd listener_;
    std::vector<UniqueFd> connections_;
};

// Work for a monitor whose process has been running for `after`: what a short-lived process
// should not wait for at its exit (a malloc_trim, say). Runs once, on the monitor's thread.
struct SettledTask {
    std::chrono::milliseconds after{0};
    std::function<void()> run;
};

// The process's wait status once it has exited, with its outputs drained (up to a bound, since a
// leftover process outside the container's pid namespace could hold them open).
Result<int> pump_until_exit(pid_t pid, StdioRelay& relay, ControlServer* control,
                            SettledTask settled = {});

// Makes every fd from `first` up close-on-exec, except those in `keep`.
void mark_cloexec_from(int first, const std::vector<int>& keep = {});

// Makes the process its own session and ignores the signals a daemon's terminal could send.
void detach_from_daemon_session();

}  // namespace berth::monitor
