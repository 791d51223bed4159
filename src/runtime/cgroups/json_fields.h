// Reading optional fields of linux.resources: a missing or null field is nullopt, a field of
// the wrong type or range is an InvalidArgument error naming it ("…memory.limit: must be an
// integer, not \"1g\"").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"

namespace berth::runtime::cgroups {

template <typename T>
Result<std::optional<T>> optional_field(const Json& obj, std::string_view key,
                                        const std::string& where) {
    if (!obj.is_object()) return std::optional<T>();
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::optional<T>();
    T value{};
    TRY(get_optional(obj, key, value, where));
    return std::optional<T>(std::move(value));
}

}  // namespace berth::runtime::cgroups
