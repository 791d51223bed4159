// berth-runtime's commands, runc's set: each one's flags, arguments and what it does.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/logger.h"
#include "command_line.h"
#include "runtime/runtime.h"

namespace berth::runtime_cmd {

struct Context {
    runtime::Runtime& runtime;
    const Logger& log;
};

using Handler = std::function<Result<int>(const cli::ParsedArgs&, Context&)>;

struct Command {
    std::string_view name;
    std::string_view usage;  // positional arguments
    std::string_view help;
    std::vector<cli::FlagSpec> flags;
    size_t min_positionals, max_positionals;
    Handler run;
    bool stop_at_positional = false;
};

// Every command, in the order help lists them.
std::vector<Command> commands();

}  // namespace berth::runtime_cmd
