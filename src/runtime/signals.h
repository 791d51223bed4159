// Signal names as kill(1) and runc accept them: "TERM", "SIGTERM", "15", "RTMIN+3".
#pragma once

#include <string_view>

#include "base/error.h"

namespace berth::runtime {

Result<int> parse_signal(std::string_view text);

}  // namespace berth::runtime
