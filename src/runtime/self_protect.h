// Protection of the host's runtime binary (the CVE-2019-5736 class). A process in a container can
// reach the binary that starts it through /proc/<pid>/exe; if that named a writable file on the
// host, it could be opened for writing once we exit and replaced. Before a command that puts a
// process into a container we therefore re-execute from a copy that cannot be written:
//  - preferably the binary itself through a private, detached, read-only bind mount of it
//    (open_tree + mount_setattr): /proc/<pid>/exe then names a file on a read-only mount that no
//    namespace holds, and no bytes are copied (runc 1.1's first choice too);
//  - else a sealed memfd copy of the binary.
// (A read-only overlayfs does not do: on current kernels the executable of a process started from
// an overlay file is the writable file underneath.)
#pragma once

#include "base/error.h"

namespace berth::runtime {

// Returns only when already running from a protected copy (or on failure); otherwise execs one
// with the same argv and environment.
Result<void> ensure_running_from_sealed_copy(char** argv);

}  // namespace berth::runtime
