#include "wire/detach_keys.h"

namespace berth::wire {

Result<std::string> parse_detach_keys(std::string_view spec) {
    std::string keys;
    while (!spec.empty()) {
        size_t comma = spec.find(',');
        std::string_view key = spec.substr(0, comma);
        spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
        if (key.size() == 1) {
            keys += key[0];
            continue;
        }
        char c = key.size() == 6 && key.starts_with("ctrl-") ? key[5] : '\0';
        if (c >= 'a' && c <= 'z')
            keys += static_cast<char>(c - 'a' + 1);
        else if (c >= '@' && c <= '_')
            keys += static_cast<char>(c - '@');
        else
            return fail(ErrorKind::InvalidArgument,
                        "Unknown character: '" + std::string(key) + "'");
    }
    return keys;
}

}  // namespace berth::wire
