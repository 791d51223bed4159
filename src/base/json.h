// JSON helpers over nlohmann::json that report errors as values with the path of the bad field.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth {

using Json = nlohmann::json;

// How deeply arrays and objects may nest: Go's encoding/json limit (maxNestingDepth), so berth
// accepts what docker accepts. Deeper documents are refused before nlohmann sees them: copying,
// comparing or dumping a value recurses once per level.
inline constexpr size_t kMaxJsonDepth = 10000;

// Parses text; `what` names the document in the error ("config.json: line 3: ..."). Every parse
// of JSON that came from outside goes through here (or read_json_file), for the depth limit.
Result<Json> parse_json(std::string_view text, std::string_view what);
Result<Json> read_json_file(const std::string& path);

namespace json_detail {

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

// nlohmann converts any number (and even a boolean) to any arithmetic type, wrapping or
// truncating; config.json must hold integers that fit ("uid": -1 is an error, as with runc).
template <typename T>
Result<void> check_integers(const Json& j, const std::string& field) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        if (!j.is_number_integer()) {
            std::string got = j.is_number() ? j.dump() : std::string("a ") + j.type_name();
            return fail(ErrorKind::InvalidArgument, field + ": must be an integer, not " + got);
        }
        bool fits = j.is_number_unsigned() ? std::in_range<T>(j.get<uint64_t>())
                                           : std::in_range<T>(j.get<int64_t>());
        if (!fits)
            return fail(ErrorKind::InvalidArgument, field + ": " + j.dump() + " is out of range");
    } else if constexpr (is_vector<T>::value) {
        if (j.is_array()) {
            for (size_t i = 0; i < j.size(); ++i) {
                TRY(check_integers<typename T::value_type>(j[i],
                                                           field + "[" + std::to_string(i) + "]"));
            }
        }
    }
    return {};
}

}  // namespace json_detail

// Reads field `key` of object `obj` into `out` if present; a present field of the wrong type (or
// an integer out of the range of T) is an InvalidArgument error naming `where.key`.
template <typename T>
Result<void> get_optional(const Json& obj, std::string_view key, T& out, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return {};
    std::string field = std::string(where) + "." + std::string(key);
    TRY(json_detail::check_integers<T>(*it, field));
    try {
        out = it->template get<T>();
    } catch (const Json::exception& e) {
        return fail(ErrorKind::InvalidArgument, field + ": " + e.what());
    }
    return {};
}

}  // namespace berth
