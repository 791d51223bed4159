// The monitor zygote: one berth-monitor process that berthd starts once and that forks a
// container monitor for each start. A fork of it skips what executing berth-monitor costs every
// start (~1 ms on a VM: the exec, glibc's start-up with its CPUID probes, a fresh binary's page
// faults).
//
// berthd sends one packet per monitor on the zygote's socket (SOCK_SEQPACKET, at kZygoteFd): the
// monitor's directory as text, and as SCM_RIGHTS the status pipe's write end followed by the fds
// the monitor inherits (kStatusFd, kFirstInheritedFd… in the monitor). Nothing is answered: the
// monitor reports on its status pipe, and a request that could not be served closes that pipe
// unanswered. The zygote exits when the socket ends (berthd gone); the monitors it started live
// on, as init's children after their double fork.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace berth::monitor {

inline constexpr int kZygoteFd = 3;

// berthd's side: asks the zygote listening on `socket` for a container monitor.
Result<void> request_monitor(int socket, const std::string& dir, int status_fd,
                             const std::vector<int>& inherited);

// `berth-monitor zygote EXEC_ROOT PADDING`: serves requests until the socket ends; returns the
// exit status. Its command line's memory (`argv`, `argc`) is where each monitor it forks writes
// its own, "berth-monitor container DIR", as ps shows it: the padding (kZygoteTitleRoom spaces)
// makes room for the longer directory.
int run_monitor_zygote(int argc, char** argv);

inline constexpr size_t kZygoteTitleRoom = 160;

}  // namespace berth::monitor
