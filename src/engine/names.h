// Container names: docker's validation rule and generated "adjective_noun" names.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::engine {

// Accepts "/name" or "name"; returns it without the slash. docker's rule:
// [a-zA-Z0-9][a-zA-Z0-9_.-]+
Result<std::string> validate_container_name(std::string_view name);

// A random "adjective_noun" name for which `taken` is false (a digit is appended after a few
// collisions, as docker does).
std::string generate_container_name(const std::function<bool(const std::string&)>& taken);

// 64 random hex digits.
std::string random_id();

}  // namespace berth::engine
