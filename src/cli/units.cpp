#include "cli/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "base/clock.h"

namespace berth::cli {

Result<int64_t> parse_go_duration(std::string_view text) {
    auto invalid = [&] {
        return fail(ErrorKind::InvalidArgument,
                    "time: invalid duration \"" + std::string(text) + "\"");
    };
    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return 0;
    if (s.empty()) return invalid();
    long double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
            ++i;
        if (i == 0 || s.substr(0, i) == ".") return invalid();
        long double number = std::strtold(std::string(s.substr(0, i)).c_str(), nullptr);
        s.remove_prefix(i);
        size_t j = 0;
        while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.')
            ++j;
        std::string_view unit = s.substr(0, j);
        s.remove_prefix(j);
        long double scale;
        if (unit == "ns")
            scale = 1;
        else if (unit == "us" || unit == "µs" || unit == "μs")
            scale = 1e3;
        else if (unit == "ms")
            scale = 1e6;
        else if (unit == "s")
            scale = 1e9;
        else if (unit == "m")
            scale = 60e9;
        else if (unit == "h")
            scale = 3600e9;
        else if (unit.empty())
            return fail(ErrorKind::InvalidArgument,
                        "time: missing unit in duration \"" + std::string(text) + "\"");
        else
            return fail(ErrorKind::InvalidArgument, "time: unknown unit \"" + std::string(unit) +
                                                        "\" in duration \"" + std::string(text) +
                                                        "\"");
        total += number * scale;
    }
    if (total > 9.2e18L) return invalid();
    int64_t nanos = static_cast<int64_t>(std::llroundl(total));
    return negative ? -nanos : nanos;
}

Result<std::string> api_timestamp(std::string_view text, int64_t now_unix_nanos) {
    auto format = [](int64_t nanos) {
        char out[48];
        int64_t seconds = nanos / 1000000000, fraction = nanos % 1000000000;
        if (fraction < 0) {
            seconds -= 1;
            fraction += 1000000000;
        }
        std::snprintf(out, sizeof out, "%lld.%09lld", static_cast<long long>(seconds),
                      static_cast<long long>(fraction));
        return std::string(out);
    };
    if (auto duration = parse_go_duration(text)) return format(now_unix_nanos - *duration);
    std::string value(text);
    if (value.size() == 10 && value[4] == '-' && value[7] == '-') value += "T00:00:00Z";
    if (value.size() == 19 && value[10] == 'T') value += "Z";
    if (auto seconds = parse_rfc3339(value)) return format(*seconds * 1000000000);
    // Unix seconds, with an optional fraction: the API takes them as they are.
    bool numeric = !text.empty();
    int dots = 0;
    for (char c : text) {
        if (c == '.')
            ++dots;
        else if (!std::isdigit(static_cast<unsigned char>(c)))
            numeric = false;
    }
    if (numeric && dots <= 1) return std::string(text);
    return fail(ErrorKind::InvalidArgument,
                "failed to parse value as time or duration: \"" + std::string(text) + "\"");
}

}  // namespace berth::cli
