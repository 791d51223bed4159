#include "engine/start_error.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace berth::engine {

int start_error_exit_code(std::string_view message) {
    std::string text(message);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    auto says = [&](std::string_view words) { return text.find(words) != std::string::npos; };
    // In moby's order: a program that is there but cannot run first (crun says "Permission
    // denied"; Go's exec of a directory says "is a directory").
    if (says("permission denied") || says("is a directory")) return kExitCannotInvoke;
    if (says("not a directory") || says("no such file or directory") ||
        says("executable file not found") || says("not found"))
        return kExitNotFound;
    return kExitStartFailed;
}

}  // namespace berth::engine
