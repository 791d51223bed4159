// docker's detach-keys syntax: comma-separated keys, each one character or ctrl-<a..z @ [ \ ] ^ _>.
// "ctrl-p,ctrl-q" → "\x10\x11". Empty text gives no keys (detaching disabled).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::wire {

Result<std::string> parse_detach_keys(std::string_view spec);

}  // namespace berth::wire
