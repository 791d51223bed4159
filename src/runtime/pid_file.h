// runc's --pid-file: the process's pid, written whole (atomically) so a reader never sees a
// partial number.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"

namespace berth::runtime {

// Writes `pid` to `path` (relative to the working directory); nothing for an empty path.
Result<void> write_pid_file(const std::string& path, pid_t pid);

}  // namespace berth::runtime
