// Wall-clock timestamps in the form the OCI state, runc's logs and docker use.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

// Now as RFC 3339 in UTC with nanoseconds: "2026-11-28T04:25:27.123456789Z".
std::string rfc3339_now();

// Parses an RFC 3339 time ("2024-05-01T12:00:00Z", "...T12:00:00.123456789+02:00") to Unix
// seconds; fractions are dropped. Invalid text gives nullopt.
std::optional<int64_t> parse_rfc3339(std::string_view text);

// The Unix time docker's API takes for since/until: "seconds[.fraction]" ("1714564800",
// "1714564800.5"; the fraction is cut at nanoseconds). nullopt for anything else.
std::optional<timespec> parse_unix_time(std::string_view text);

// "Less than a second", "About a minute", "3 hours", "2 weeks" (docker's go-units
// HumanDuration), as in "Up 3 hours".
std::string human_duration(int64_t seconds);

}  // namespace berth
