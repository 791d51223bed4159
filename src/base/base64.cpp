#include "base/base64.h"

#include <array>
#include <cstdint>

namespace berth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> kValues = [] {
    std::array<int8_t, 256> values{};
    values.fill(-1);
    for (int i = 0; i < 64; ++i)
        values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
    return values;
}();

}  // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (size_t i = 0; i < data.size(); i += 3) {
        size_t n = std::min<size_t>(3, data.size() - i);
        uint32_t v = 0;
        for (size_t k = 0; k < 3; ++k)
            v = (v << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
        for (size_t k = 0; k < 4; ++k)
            out += k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 63] : '=';
    }
    return out;
}

Result<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        return fail(ErrorKind::InvalidArgument, "base64: length is not a multiple of 4");
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        size_t padding = 0;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; ++k) {
            char ch = text[i + k];
            // '=' only at the end of the last group, and at most two of them.
            if (ch == '=' && last && k >= 2 && (k == 3 || text[i + 3] == '=')) {
                ++padding;
                v <<= 6;
                continue;
            }
            int8_t value = kValues[static_cast<unsigned char>(ch)];
            if (value < 0 || padding > 0)
                return fail(ErrorKind::InvalidArgument, "base64: invalid character");
            v = (v << 6) | static_cast<uint32_t>(value);
        }
        for (size_t k = 0; k < 3 - padding; ++k)
            out += static_cast<char>((v >> (16 - 8 * k)) & 0xff);
    }
    return out;
}

}  // namespace berth
