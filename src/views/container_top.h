// GET /containers/{id}/top: the container's processes as `ps` on the host shows them.
//
// As dockerd does: ps runs with the caller's ps_args (default "-ef") plus "-q<pids>", again without
// "-q" when ps refuses the combination (some options, like "f", cannot go with it), and only the
// lines whose PID column holds one of the container's pids are kept. Thread lines ("-" in the PID
// column, from "m") follow the process line they belong to.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::views {

// Runs argv (argv[0] is "ps") and returns its stdout; a non-zero exit is an error quoting stderr.
using PsRunner = std::function<Result<std::string>(const std::vector<std::string>& argv)>;

// The real runner: run_and_capture on the host's ps.
Result<std::string> run_host_ps(const std::vector<std::string>& argv);

// {"Titles": [...], "Processes": [[...], ...]}. The last column takes the rest of the line, so a
// CMD with spaces stays one field. `pids` are host pids (the runtime's view of the container).
Result<Json> container_top(const std::vector<pid_t>& pids, std::string_view ps_args,
                           const PsRunner& run = run_host_ps);

// The parts, for tests and for callers that run ps another way.
// Refuses "key=PID..." format specs other than "pid=" (ps would then print no PID column under
// that title), with docker's wording: specifying "comm=PID" is not allowed.
Result<void> validate_ps_args(std::string_view ps_args);
Result<Json> parse_ps_output(std::string_view output, const std::vector<pid_t>& pids);

}  // namespace berth::views
