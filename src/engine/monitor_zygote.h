// berthd's monitor zygote (monitor/zygote.h): a `berth-monitor zygote` child that forks the
// container monitors, started on first use and again after it died.
//
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "engine/monitor_binary.h"

namespace berth::engine {

class MonitorZygote {
  public:
    // The zygote runs `binary`'s protected copy, and so do the monitors it forks. `exec_root`
    // only names the daemon on the zygote's command line (ps).
    MonitorZygote(MonitorBinary& binary, std::string exec_root)
        : binary_(binary), exec_root_(std::move(exec_root)) {}
    ~MonitorZygote();  // ends the zygote (its monitors live on) and reaps it
    MonitorZygote(const MonitorZygote&) = delete;
    MonitorZygote& operator=(const MonitorZygote&) = delete;

    // Has a container monitor for `dir` started with `status_fd` at kStatusFd and `inherited`
    // from kFirstInheritedFd. An error means nothing was started.
    Result<void> launch(const std::string& dir, int status_fd, const std::vector<int>& inherited);

    // Ends the zygote when nothing was launched for `idle`: an idle daemon keeps no zygote
    // (~1.4 MB resident, mostly berth-monitor's pages), the next launch starts one again.
    void stop_if_idle(std::chrono::steady_clock::duration idle);

  private:
    Result<void> start_locked();
    void stop_locked();

    MonitorBinary& binary_;
    std::string exec_root_;
    std::mutex mutex_;
    UniqueFd socket_;
    pid_t pid_ = 0;
    std::chrono::steady_clock::time_point last_launch_;
};

}  // namespace berth::engine
