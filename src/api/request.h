// One parsed API request: method, the path with its /vX.Y/ prefix taken off, the API version the
// client asked for, query parameters and the parameters its route pattern captured.
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace berth::api {

struct ApiVersion {
    int major = 1;
    int minor = 47;

    std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
    friend auto operator<=>(const ApiVersion&, const ApiVersion&) = default;
};

// What berthd speaks: docker 28 and 29 clients negotiate down to 1.47; 1.24 is docker's floor.
inline constexpr ApiVersion kMaxApiVersion{1, 47};
inline constexpr ApiVersion kMinApiVersion{1, 24};

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method;                   // "GET"
    std::string target;                   // as sent: "/v1.47/images/json?all=1"
    std::string path;                     // decoded, without the version: "/images/json"
    ApiVersion version = kMaxApiVersion;  // from the path; unversioned requests get the newest
    Fields query;                         // decoded, in order, repeats kept
    Fields headers;                       // names lower-cased
    std::map<std::string, std::string, std::less<>> params;  // captured by the route pattern

    std::optional<std::string> query_value(std::string_view name) const;
    std::vector<std::string> query_values(std::string_view name) const;
    // Docker's boolean parameters: absent, "", "0", "false" and "none" are false.
    bool query_bool(std::string_view name) const;
    std::string header(std::string_view lower_name) const;
    std::string param(std::string_view name) const;
};

// %XX escapes (and '+' as a space in query strings). A bad escape is an InvalidArgument.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);
Result<Fields> parse_query(std::string_view query);

}  // namespace berth::api
