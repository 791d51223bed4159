#include "base/clock.h"

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/parse_int.h"

namespace berth {

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now();
    std::time_t secs = std::chrono::system_clock::to_time_t(now);
    auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() %
        1000000000;
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(nanos));
    return buf;
}

std::optional<timespec> parse_unix_time(std::string_view text) {
    size_t dot = text.find('.');
    auto seconds = parse_int<int64_t>(text.substr(0, dot));
    if (!seconds) return std::nullopt;
    std::string nanos;
    if (dot != std::string_view::npos) nanos = text.substr(dot + 1, 9);
    nanos.resize(9, '0');
    auto fraction = parse_int<uint32_t>(nanos);
    if (!fraction) return std::nullopt;
    return timespec{static_cast<time_t>(*seconds), static_cast<long>(*fraction)};
}

std::optional<int64_t> parse_rfc3339(std::string_view text) {
    std::tm tm{};
    std::string copy(text);
    const char* rest = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return std::nullopt;
    if (*rest == '.') {
        ++rest;
        if (!std::isdigit(static_cast<unsigned char>(*rest))) return std::nullopt;
        while (std::isdigit(static_cast<unsigned char>(*rest)))
            ++rest;
    }
    int64_t offset = 0;
    if (*rest == 'Z' || *rest == 'z') {
        ++rest;
    } else if (*rest == '+' || *rest == '-') {
        int hours = 0, minutes = 0;
        if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
        offset = (hours * 3600 + minutes * 60) * (*rest == '+' ? 1 : -1);
        rest += 6;
    } else {
        return std::nullopt;
    }
    if (*rest != '\0') return std::nullopt;
    return static_cast<int64_t>(::timegm(&tm)) - offset;
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

}  // namespace berth
