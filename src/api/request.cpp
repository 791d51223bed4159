#include "api/request.h"

#include <algorithm>

namespace berth::api {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> Request::query_value(std::string_view name) const {
    for (auto& [key, value] : query)
        if (key == name) return value;
    return std::nullopt;
}

std::vector<std::string> Request::query_values(std::string_view name) const {
    std::vector<std::string> values;
    for (auto& [key, value] : query)
        if (key == name) values.push_back(value);
    return values;
}

bool Request::query_bool(std::string_view name) const {
    auto value = query_value(name);
    if (!value) return false;
    std::string lower = *value;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return !(lower.empty() || lower == "0" || lower == "false" || lower == "none");
}

std::string Request::header(std::string_view lower_name) const {
    for (auto& [key, value] : headers)
        if (key == lower_name) return value;
    return {};
}

std::string Request::param(std::string_view name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); i++) {
        char c = text[i];
        if (c == '%') {
            int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
            int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return fail(ErrorKind::InvalidArgument,
                            "invalid URL escape \"" + std::string(text.substr(i, 3)) + "\"");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

Result<Fields> parse_query(std::string_view query) {
    Fields fields;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string key = TRY(percent_decode(pair.substr(0, eq), true));
        std::string value;
        if (eq != std::string_view::npos) value = TRY(percent_decode(pair.substr(eq + 1), true));
        fields.emplace_back(std::move(key), std::move(value));
    }
    return fields;
}

}  // namespace berth::api
