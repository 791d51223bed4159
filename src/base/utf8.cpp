#include "base/utf8.h"

namespace berth {

std::pair<int32_t, size_t> decode_utf8(std::string_view s, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    if (c < 0x80) return {c, 1};
    size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (length == 0 || c > 0xf4 || i + length > s.size()) return {-1, 1};
    int32_t rune = c & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80) return {-1, 1};
        rune = (rune << 6) | (byte(i + k) & 0x3f);
    }
    static constexpr int32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (rune < kMinimum[length] || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff))
        return {-1, 1};
    return {rune, length};
}

void append_utf8(std::string& out, uint32_t rune) {
    if (rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) rune = 0xfffd;
    if (rune < 0x80) {
        out += static_cast<char>(rune);
    } else if (rune < 0x800) {
        out += static_cast<char>(0xc0 | (rune >> 6));
        out += static_cast<char>(0x80 | (rune & 0x3f));
    } else if (rune < 0x10000) {
        out += static_cast<char>(0xe0 | (rune >> 12));
        out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (rune & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (rune >> 18));
        out += static_cast<char>(0x80 | ((rune >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((rune >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (rune & 0x3f));
    }
}

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        auto [rune, length] = decode_utf8(s, i);
        if (rune < 0) return false;
        i += length;
    }
    return true;
}

}  // namespace berth
