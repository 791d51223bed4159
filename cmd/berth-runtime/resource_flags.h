// berth-runtime update's flags: linux.resources from --resources and runc's limit flags.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "command_line.h"

namespace berth::runtime_cmd {

// runc's --memory flags: go-units RAMInBytes ("512m", "1g", "1.5GiB"), and "-1" for unlimited.
Result<int64_t> parse_memory_bytes(const std::string& text, std::string_view what);

// `update`: linux.resources from --resources (a file, or - for stdin) and runc's flags on top.
Result<Json> update_resources(const cli::ParsedArgs& args);

}  // namespace berth::runtime_cmd
