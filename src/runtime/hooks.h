// OCI lifecycle hooks: each hook is a program run with the container's state JSON on its stdin,
// its own args and env, and an optional timeout. A failing prestart, createRuntime,
// createContainer, startContainer or poststart hook fails the operation; poststop failures are
// only warned about (runtime-spec config.md#posix-platform-hooks).
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// Runs `hooks` in order, stopping at the first failure. `point` names the hook list in errors
// ("createRuntime hook /usr/bin/x: exit status 1: <its output>").
Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const Json& state,
                       std::string_view point);

// Runs every hook even when some fail (poststart, poststop); returns the failures.
std::vector<Error> run_every_hook(const std::vector<oci::Hook>& hooks, const Json& state,
                                  std::string_view point);

}  // namespace berth::runtime
