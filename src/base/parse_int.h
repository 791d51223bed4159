// Whole-string integer parsing: the one place that calls std::from_chars for integers, so that
// every caller rejects the same things (empty text, signs on unsigned types, a leading '+',
// spaces, trailing characters, values out of range).
#pragma once

#include <charconv>
#include <concepts>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"

namespace berth {

// All of `text` as a base-`base` integer of type T, or why not: std::errc::invalid_argument
// (empty, not a number, characters left over) or std::errc::result_out_of_range (digits only, but
// too large for T), for callers that word the two apart as Go's strconv does.
template <std::integral T>
std::expected<T, std::errc> parse_int_or_errc(std::string_view text, int base = 10) {
    T value{};
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, value, base);
    if (text.empty() || stop != end) return std::unexpected(std::errc::invalid_argument);
    if (ec != std::errc()) return std::unexpected(ec);
    return value;
}

// All of `text` as a base-`base` integer of type T, or nullopt: "42" → 42, "-1" → -1 for signed T,
// "" / "+1" / " 1" / "1x" / out-of-range → nullopt.
template <std::integral T>
std::optional<T> parse_int(std::string_view text, int base = 10) {
    auto value = parse_int_or_errc<T>(text, base);
    if (!value) return std::nullopt;
    return *value;
}

// The same, with an error that names what was being read: `what: "12x" is not a number`.
template <std::integral T>
Result<T> parse_int(std::string_view text, std::string_view what) {
    if (auto value = parse_int<T>(text)) return *value;
    return fail(ErrorKind::InvalidArgument,
                std::string(what) + ": \"" + std::string(text) + "\" is not a number");
}

// The leading integer of `text` and what follows it ("5.10.0" → 5, ".10.0"), or nullopt when
// `text` does not start with one: for version strings and other numbers embedded in text.
template <std::integral T>
std::optional<std::pair<T, std::string_view>> parse_int_prefix(std::string_view text,
                                                               int base = 10) {
    T value{};
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, value, base);
    if (ec != std::errc()) return std::nullopt;
    return std::pair{value, std::string_view(stop, static_cast<size_t>(end - stop))};
}

}  // namespace berth
