// What berth-runtime's reading commands print: list's table, ps's lines and events' stream.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/runtime.h"

namespace berth::runtime_cmd {

// `list`: the ids alone (quiet), the states as JSON, or runc's table.
Result<void> print_list(runtime::Runtime& runtime, const std::string& format, bool quiet);

// `ps`: JSON is the list of pids; the table is ps(1)'s output reduced to the container's lines.
Result<void> print_ps(runtime::Runtime& runtime, const std::string& id, const std::string& format,
                      std::vector<std::string> ps_args);

// `events`: with `once` one stats object; otherwise stats every `interval_ms` and an "oom" event
// whenever the OOM killer strikes, until the container stops.
Result<void> print_events(runtime::Runtime& runtime, const std::string& id, bool once,
                          int interval_ms);

}  // namespace berth::runtime_cmd
