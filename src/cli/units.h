// The value syntaxes docker's flags take: Go durations ("1m30s") and the timestamps of
// --since/--until (RFC 3339, Unix seconds, or a duration back from now). Sizes are
// base/byte_size.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::cli {

// Go's time.ParseDuration, in nanoseconds: "300ms", "-1.5h", "2h45m", "0".
Result<int64_t> parse_go_duration(std::string_view text);

// --since/--until as the API takes them ("1714564800.000000000"): a Go duration counts back from
// `now_unix_nanos`; RFC 3339 times and dates convert; Unix seconds (with a fraction) pass through.
Result<std::string> api_timestamp(std::string_view text, int64_t now_unix_nanos);

}  // namespace berth::cli
