#include "cli/human.h"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/clock.h"

namespace berth::cli {

std::string human_duration(int64_t seconds) {
    return berth::human_duration(seconds);
}

std::string time_ago(int64_t unix_seconds, int64_t now) {
    return human_duration(now - unix_seconds) + " ago";
}

std::string go_time_utc(int64_t unix_seconds) {
    time_t t = static_cast<time_t>(unix_seconds);
    tm utc{};
    ::gmtime_r(&t, &utc);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S +0000 UTC", &utc);
    return buffer;
}

}  // namespace berth::cli
