// The functions a Go template can call (internal to go_template*.cpp): Go's builtins that docker
// formats use and the ones docker adds (json, join, split, upper, lower, title, truncate, pad).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::cli::gotmpl {

bool is_function(std::string_view name);

// Go's truth: false, 0, "", null and empty arrays and objects are false.
bool is_true(const nlohmann::json& value);

// Calls `name` with evaluated arguments. With `header` set, docker's own functions return their
// first argument unchanged (docker's header functions). Errors carry the message Go's template
// package gives, without position: "error calling index: index out of range: 3",
// "wrong type for value; expected string; got int".
Result<nlohmann::json> call_function(std::string_view name, std::vector<nlohmann::json>& args,
                                     bool header);

}  // namespace berth::cli::gotmpl
