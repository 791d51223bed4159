// Protection of the host's runtime binary (the CVE-2019-5736 class). A process in a container can
// reach the binary that starts it through /proc/<pid>/exe; if that were the file on the host, it
// could be opened for writing once we exit and replaced. Before a command that puts a process into
// a container we therefore re-execute from a sealed, read-only memfd copy of ourselves, so
// /proc/self/exe never names a writable host file.
#pragma once

#include "base/error.h"

namespace berth::runtime {

// Returns only when already running from a sealed copy (or on failure); otherwise execs the copy
// with the same argv and environment.
Result<void> ensure_running_from_sealed_copy(char** argv);

}  // namespace berth::runtime
