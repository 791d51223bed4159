// berth run, create, start and attach (and their `berth container ...` forms).
#pragma once

#include "cli/cli_context.h"

namespace berth::cli {

void add_run_commands(const CommandGroups& groups, CliContext& context);

// The exit status docker's CLI gives a failed container start: 127 when the command was not
// found, 126 when it could not be run, else 125.
int start_error_status(const std::string& message);

// "busybox" -> "busybox:latest": how docker names an image in "Unable to find image".
std::string with_default_tag(const std::string& image);

}  // namespace berth::cli
