// berth-monitor's two modes. Each runs in its own process, spawned by berthd:
//  - the container monitor starts a container with the runtime library, owns its stdio (log,
//    attached clients), records its exit in exit.json and lives on when berthd stops or dies;
//  - the exec monitor does the same for one `exec` process (attach, resize, exit code, captured
//    output for health checks) and lives as berthd's child.
// The protocol is in monitor_protocol.h.
#pragma once

#include <string>

namespace berth::monitor {

// `dir` holds monitor.json. Returns the process's exit status. Spawned by berthd, the monitor
// forks once more so that init adopts it and berthd waits only for the first process; forked by
// the zygote, which does not wait for its children, it is that process already.
int run_container_monitor(const std::string& dir, bool forked_by_zygote = false);
// `dir` holds exec.json.
int run_exec_monitor(const std::string& dir);

}  // namespace berth::monitor
