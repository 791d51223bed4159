#include "base/byte_size.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>

namespace berth {
namespace {

std::unexpected<Error> invalid_size(std::string_view text) {
    return fail(ErrorKind::InvalidArgument, "invalid size: '" + std::string(text) + "'");
}

std::unexpected<Error> invalid_suffix(std::string_view suffix) {
    return fail(ErrorKind::InvalidArgument, "invalid suffix: '" + std::string(suffix) + "'");
}

// Go's strconv.ParseFloat for the decimal forms a size can take ("+1.5", "2e3", "7."); a
// negative, out-of-range or malformed number is nullopt.
std::optional<double> parse_size_number(std::string_view number) {
    if (number.starts_with('+')) number.remove_prefix(1);
    double value = 0;
    const char* end = number.data() + number.size();
    auto [stop, ec] = std::from_chars(number.data(), end, value);
    if (number.empty() || ec != std::errc() || stop != end || !std::isfinite(value) || value < 0)
        return std::nullopt;
    return value;
}

std::string ascii_lower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
}

// The power of the scale that a lower-case `suffix` stands for ("" and "b" → 0, "k"/"kb"/"kib"
// → 1, …), or nullopt for anything else.
std::optional<int> suffix_power(std::string_view suffix) {
    if (suffix.empty() || suffix == "b") return 0;
    static constexpr std::string_view kPrefixes = "kmgtp";
    size_t prefix = kPrefixes.find(suffix[0]);
    std::string_view tail = suffix.substr(1);
    if (prefix == std::string_view::npos || !(tail.empty() || tail == "b" || tail == "ib"))
        return std::nullopt;
    return static_cast<int>(prefix) + 1;
}

Result<int64_t> parse_size(std::string_view text, double scale) {
    // The number ends at the last digit, dot or space; one space may stand before the suffix.
    size_t last = text.find_last_of("0123456789. ");
    if (last == std::string_view::npos) return invalid_size(text);
    std::string_view number = text.substr(0, text[last] == ' ' ? last : last + 1);
    std::string_view suffix = text.substr(last + 1);
    auto value = parse_size_number(number);
    if (!value) return invalid_size(text);
    // go-units names a suffix of more than three characters as given, a shorter one lower-cased.
    if (suffix.size() > 3) return invalid_suffix(suffix);
    std::string lower = ascii_lower(suffix);
    auto power = suffix_power(lower);
    if (!power) return invalid_suffix(lower);
    double bytes = *value * std::pow(scale, *power);
    if (bytes >= 0x1p63) return invalid_size(text);  // past int64_t
    return static_cast<int64_t>(bytes);
}

// `bytes` in the largest of `units` (each `base` times the one before) that keeps it at least
// 1, printed with `digits` significant digits.
template <size_t N>
std::string size_in_units(double bytes, double base, const char* const (&units)[N], int digits) {
    size_t unit = 0;
    while (bytes >= base && unit + 1 < N) {
        bytes /= base;
        ++unit;
    }
    char out[32];
    std::snprintf(out, sizeof out, "%.*g%s", digits, bytes, units[unit]);
    return out;
}

}  // namespace

Result<int64_t> parse_ram_in_bytes(std::string_view text) {
    return parse_size(text, 1024.0);
}

Result<int64_t> parse_human_size(std::string_view text) {
    return parse_size(text, 1000.0);
}

std::string human_size(double bytes) {
    static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    return size_in_units(bytes, 1000.0, kUnits, 3);
}

std::string binary_size(double bytes) {
    static constexpr const char* kUnits[] = {"B",   "KiB", "MiB", "GiB", "TiB",
                                             "PiB", "EiB", "ZiB", "YiB"};
    return size_in_units(bytes, 1024.0, kUnits, 4);
}

}  // namespace berth
