// Foreground supervision for `run` and `exec` without -d: forwards the signals we get to the
// container's process, proxies a terminal when we own its master, and returns the process's exit
// code (128 + signal when it was killed), as a shell would report it.
#pragma once

#include <signal.h>

#include "base/child_process.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// Blocks every signal that we forward, so none is lost between clone and supervision. The child
// unblocks them (reset_signals) before it runs anything.
class BlockedSignals {
  public:
    BlockedSignals();
    ~BlockedSignals();
    BlockedSignals(const BlockedSignals&) = delete;
    BlockedSignals& operator=(const BlockedSignals&) = delete;
    const sigset_t& set() const { return blocked_; }

  private:
    sigset_t blocked_{};
    sigset_t previous_{};
};

// Waits for `child` while forwarding signals; `terminal_master` (may be invalid) is proxied to our
// stdio.
Result<int> supervise(ChildProcess& child, const BlockedSignals& signals, UniqueFd terminal_master);

}  // namespace berth::runtime
