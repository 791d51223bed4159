#include "cli/human.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace berth::cli {

std::string human_size(double bytes) {
    static constexpr const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    size_t unit = 0;
    while (bytes >= 1000.0 && unit + 1 < std::size(units)) {
        bytes /= 1000.0;
        ++unit;
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g%s", bytes, units[unit]);
    return buffer;
}

std::string human_duration(int64_t seconds) {
    auto plural = [](int64_t n, const char* unit) { return std::to_string(n) + " " + unit; };
    if (seconds < 1) return "Less than a second";
    if (seconds == 1) return "1 second";
    if (seconds < 60) return plural(seconds, "seconds");
    int64_t minutes = seconds / 60;
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return plural(minutes, "minutes");
    int64_t hours = static_cast<int64_t>(std::llround(static_cast<double>(seconds) / 3600.0));
    if (hours == 1) return "About an hour";
    if (hours < 48) return plural(hours, "hours");
    if (hours < 24 * 7 * 2) return plural(hours / 24, "days");
    if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "weeks");
    if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "months");
    return plural(hours / 24 / 365, "years");
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
