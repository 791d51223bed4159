// Times as docker prints them (go-units): "2 hours ago", "2024-05-01 12:00:00 +0000 UTC". Sizes
// are base/byte_size.h.
#pragma once

#include <cstdint>
#include <string>

namespace berth::cli {

// "Less than a second", "About a minute", "3 hours", "2 weeks" (go-units HumanDuration).
std::string human_duration(int64_t seconds);
// human_duration of now - unix_seconds, plus " ago".
std::string time_ago(int64_t unix_seconds, int64_t now);
// Go's time.Time String() in UTC: "2006-01-02 15:04:05 +0000 UTC".
std::string go_time_utc(int64_t unix_seconds);

}  // namespace berth::cli
