// /proc/PID/mountinfo: the mounts a process sees.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth {

struct MountInfoEntry {
    std::string root;         // the mounted subtree of its file system ("/" for a whole one)
    std::string mount_point;  // octal escapes (\040 for a space) decoded
    std::string fstype;
    std::string source;
    std::string super_options;
};

// Every well-formed line, in file order (parents before the mounts on top of them).
std::vector<MountInfoEntry> parse_mountinfo(std::string_view text);

// Mount points at or below `dir` in this process's mount table, deepest (last mounted) first:
// the order they can be unmounted in.
Result<std::vector<std::string>> mount_points_under(
    const std::string& dir, const std::string& mountinfo = "/proc/self/mountinfo");

}  // namespace berth
