// The engine's in-memory record of one container (private to the engine's files).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "engine/container.h"
#include "engine/engine.h"
#include "monitor/monitor_protocol.h"
#include "oci_runtime/oci_runtime.h"

namespace berth::engine {

struct Engine::Entry {
    Container container;           // guarded by Engine::mutex_
    std::mutex op;                 // serialises start/stop/remove/… of this container
    uint64_t exit_generation = 0;  // bumped at every recorded exit
    bool removed = false;
    bool rootfs_mounted = false;
    // The monitor of the current or last run is still there: after reporting an exit it removes
    // the runtime's state and cgroups, and the next run must wait for that.
    bool monitor_running = false;
    // attach connections waiting for the next start
    std::vector<std::pair<UniqueFd, monitor::AttachRequest>> pending_attaches;
    std::vector<UniqueFd> stop_signals;  // eventfds of log followers, written at exit
    uint64_t restart_token = 0;          // scheduled restart, 0: none
    int restart_delay_ms = 0;            // docker's back-off: 100 ms doubling, up to a minute
    std::chrono::steady_clock::time_point started;
    uint64_t run_generation = 0;  // bumped at every start; stale health results are dropped
    oci_runtime::OciRuntimeConfig runtime;  // what runs the current run (from its monitor.json)
    uint64_t health_token = 0;
    bool health_probe_running = false;
    std::vector<std::string> exec_ids;
};

struct Engine::ExecEntry {
    std::string id;
    std::string container_id;
    Json config;  // the exec create body
    bool running = false;
    bool started = false;
    std::optional<int> exit_code;
    pid_t pid = 0;
    UniqueFd pidfd;  // the exec'd process: killed through it when its monitor is lost
    pid_t monitor_pid = 0;
    std::string dir;
    // health probes: who to tell
    bool health_probe = false;
    size_t capture_limit = 0;
    bool timed_out = false;
    uint64_t run_generation = 0;
    std::string started_at;
    uint64_t timeout_token = 0;
};

}  // namespace berth::engine
