// Go's fmt and encoding/json output for JSON values, so templates print what docker prints: a
// value rendered by `--format` goes through Go's fmt (%v and friends), and `{{json .}}` through
// json.Marshal. Values are nlohmann::json; integers print as integers, floats as Go's float64.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// fmt's %v: strings raw, floats shortest ("1.5", "1e+06"), arrays "[a b]", objects
// "map[k:v k2:v2]" (sorted keys), null "<nil>".
std::string go_sprint_value(const nlohmann::json& value);

// %v as a template action prints it: like go_sprint_value, but a null (which is what a missing
// map key gives) prints "<no value>".
std::string go_template_print(const nlohmann::json& value);

// fmt.Sprint, fmt.Sprintln and fmt.Sprintf over template values.
std::string go_sprint(const std::vector<nlohmann::json>& args);
std::string go_sprintln(const std::vector<nlohmann::json>& args);
std::string go_sprintf(std::string_view format, const std::vector<nlohmann::json>& args);

// json.Marshal as docker's `json` template function uses it: compact, no HTML escaping, floats
// and string escapes as Go writes them, invalid UTF-8 replaced by U+FFFD.
std::string go_json_marshal(const nlohmann::json& value);

// Go's %v of a float64: the shortest digits that read back exactly, in exponent form when the
// decimal exponent is below -4 or at least 6 (fmt.Println(1e6) prints "1e+06").
std::string go_format_float(double value);

// Go's strconv.Quote: ASCII escapes as Go writes them, other valid UTF-8 kept, invalid bytes \xNN.
std::string go_quote(std::string_view text);

// Go's type name for a value, as its error messages show it ("string", "float64", "[]interface
// {}").
std::string go_type_name(const nlohmann::json& value);

}  // namespace berth::cli
