// What docker makes of a process that could not be started (a container's first process, or an
// exec's): the exit code it records, from the runtime's message, as moby's setExitCodeFromError.
#pragma once

#include <string_view>

namespace berth::engine {

inline constexpr int kExitCannotInvoke = 126;  // permission denied, is a directory
inline constexpr int kExitNotFound = 127;      // no such file, not found, not a directory
inline constexpr int kExitStartFailed = 128;   // anything else

int start_error_exit_code(std::string_view message);

}  // namespace berth::engine
