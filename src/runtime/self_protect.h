// Protection of the host's runtime binaries (the CVE-2019-5736 class). A process in a container
// can reach the binary that starts it through /proc/<pid>/exe (and run it: an entrypoint of
// /proc/self/exe); if that named a writable file on the host, it could be opened for writing
// once no process runs it any more, and replaced. What puts a process into a container therefore
// runs from a copy that cannot be written:
//  - preferably the binary itself through a private, detached, read-only bind mount of it
//    (open_tree + mount_setattr): /proc/<pid>/exe then names a file on a read-only mount that no
//    namespace holds, and no bytes are copied (runc 1.1's first choice too);
//  - else a sealed memfd copy of the binary.
// (A read-only overlayfs does not do: on current kernels the executable of a process started from
// an overlay file is the writable file underneath.)
//
// berth-runtime re-executes itself from such a copy before `create`, `run` and `exec`; berthd
// starts berth-monitor (the zygote, container and exec monitors, whose clones become containers'
// inits and exec'd processes) from one it holds, and berth-monitor checks on start that it runs
// from one.
#pragma once

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

// A protected copy of the executable open at `exe_fd`, as an fd to execute (execveat with
// AT_EMPTY_PATH, or /proc/self/fd/N). `name` names a memfd copy.
Result<UniqueFd> protected_copy_of(int exe_fd, const char* name);

// Whether the executable open at `fd` is such a copy: on a read-only mount, or sealed.
bool is_protected_copy(int fd);

// Returns only when already running from a protected copy (or on failure); otherwise execs one
// with the same argv and environment. `name` as for protected_copy_of.
Result<void> ensure_running_from_sealed_copy(char** argv, const char* name = "berth-runtime");

}  // namespace berth::runtime
