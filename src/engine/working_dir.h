// The container's working directory (Config.WorkingDir, docker run -w), made at start when the
// image lacks it, as dockerd does (moby's SetupWorkingDirectory): missing directories are created
// 0755 and owned by root, whatever the container's user; what exists is left as it is.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::engine {

// Makes `working_dir` (absolute; empty: nothing to do) exist as a directory in the root file
// system at `rootfs`. Resolved as the container would see it: symlinks are followed but never
// out of `rootfs`. An existing non-directory is docker's error "Cannot mkdir: P is not a
// directory".
Result<void> ensure_working_dir(const std::string& rootfs, std::string_view working_dir);

}  // namespace berth::engine
