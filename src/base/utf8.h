// UTF-8 decoding, encoding and validation, as Go's unicode/utf8 does them: overlong forms,
// surrogates and runes above U+10FFFF are invalid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

// Decodes one sequence at s[i]: {rune, length}, or {-1, 1} for an invalid byte (Go's RuneError
// of width 1).
std::pair<int32_t, size_t> decode_utf8(std::string_view s, size_t i);
// Appends the encoding of `rune`; an invalid rune is written as U+FFFD.
void append_utf8(std::string& out, uint32_t rune);
bool is_valid_utf8(std::string_view s);

}  // namespace berth
