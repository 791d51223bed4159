// JSON helpers over nlohmann::json that report errors as values with the path of the bad field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

using Json = nlohmann::json;

// Parses text; `what` names the document in the error ("config.json: line 3: ...").
Result<Json> parse_json(std::string_view text, std::string_view what);
Result<Json> read_json_file(const std::string& path);

// Reads field `key` of object `obj` into `out` if present; a present field of the wrong type is an
// InvalidArgument error naming `where.key`.
template <typename T>
Result<void> get_optional(const Json& obj, std::string_view key, T& out, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    try {
        out = it->template get<T>();
    } catch (const Json::exception& e) {
        return fail(ErrorKind::InvalidArgument,
                    std::string(where) + "." + std::string(key) + ": " + e.what());
    }
    return {};
}

}  // namespace berth
