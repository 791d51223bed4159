// berthd's side of berth-monitor: spawning one, and learning when its process has exited.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "monitor/monitor_protocol.h"

namespace berth::engine {

// A spawned monitor whose container (or exec) process runs.
struct RunningMonitor {
    pid_t pid = 0;          // the container's (or exec'd) process
    UniqueFd status;        // read end of the monitor's status pipe
    std::string pending;    // bytes read past the first status line
    pid_t monitor_pid = 0;  // exec monitors only: our child, to be reaped
};

class MonitorBinary;
class MonitorZygote;

// Spawns `berth-monitor <mode> <dir>` (from `binary`'s protected copy) with its status pipe at
// fd 3 and `inherited` at fds 4…, and waits until the process runs (or the monitor reports why
// it could not start it). mode "container" daemonizes (the monitor outlives us), forked by
// `zygote` when there is one; "exec" stays our child.
Result<RunningMonitor> spawn_monitor(MonitorBinary& binary, const std::string& mode,
                                     const std::string& dir, const std::vector<int>& inherited,
                                     MonitorZygote* zygote = nullptr);

// Reads the rest of an exec monitor's status pipe to its end and reaps the monitor; the exit
// record, or nullopt when the pipe ended without one (the monitor was killed).
std::optional<monitor::ExitRecord> finish_monitor(RunningMonitor& monitor);

// The exit the monitor recorded in <dir>/exit.json; nullopt when there is none (the monitor died
// before its container, or its directory is gone).
std::optional<monitor::ExitRecord> recorded_exit(const std::string& dir);

// One thread that waits on many monitors at once (epoll) and calls back on each exit, and again
// when the monitor's process has gone: a monitor reports the exit before it removes the
// container's runtime state and cgroups. A monitor that ends without reporting an exit is
// "lost" (killed, or OOM): on_lost gets its directory and must record the exit itself; on_gone
// follows. What the monitor reports before the exit ({"event": "detach"}) goes to on_event.
// Thread-safe. The callbacks run on the watcher's thread.
class MonitorWatcher {
  public:
    using ExitCallback = std::function<void(const std::string& id, monitor::ExitRecord)>;
    using LostCallback = std::function<void(const std::string& id, const std::string& dir)>;
    using GoneCallback = std::function<void(const std::string& id)>;
    using EventCallback = std::function<void(const std::string& id, const std::string& action)>;
    MonitorWatcher(ExitCallback on_exit, LostCallback on_lost, GoneCallback on_gone,
                   EventCallback on_event = {});
    ~MonitorWatcher();
    MonitorWatcher(const MonitorWatcher&) = delete;
    MonitorWatcher& operator=(const MonitorWatcher&) = delete;

    Result<void> start();
    // Watches `fd` (a status pipe or a connection to monitor.sock); its end means the monitor
    // is gone, and the exit is read from the pipe or from <dir>/exit.json.
    Result<void> watch(const std::string& id, UniqueFd fd, std::string pending,
                       const std::string& dir);
    void stop();

  private:
    struct Watched {
        std::string id;
        UniqueFd fd;
        std::string buffer;
        std::string dir;
        bool exit_reported = false;
    };
    void run();
    void service(int fd);
    // Reports the events and the exit whose lines `watched` has buffered.
    void report_buffered_lines(Watched& watched);
    // Reports the exits that arrived with the first status line, before watch() was called.
    void report_pending_exits();

    ExitCallback on_exit_;
    LostCallback on_lost_;
    GoneCallback on_gone_;
    EventCallback on_event_;
    UniqueFd epoll_;
    UniqueFd wake_;  // eventfd: stop
    UniqueFd kick_;  // eventfd: watch() was given an exit already read
    std::mutex mutex_;
    std::map<int, Watched> watched_;
    std::thread thread_;
};

// Connects to a running monitor's socket (after a daemon restart); NotFound when none answers.
Result<UniqueFd> connect_monitor(const std::string& dir);

}  // namespace berth::engine
