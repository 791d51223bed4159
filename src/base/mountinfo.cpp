#include "base/mountinfo.h"

#include <algorithm>
#include <sstream>

#include "base/fs.h"

namespace berth {
namespace {

std::string unescape(std::string_view s) {
    auto octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && octal(s[i + 1]) && octal(s[i + 2]) &&
            octal(s[i + 3])) {
            out +=
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> out;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::vector<std::string> f;
        std::string word;
        while (fields >> word)
            f.push_back(word);
        // id parent maj:min root mount-point options [optional…] - fstype source super-options
        auto dash = std::find(f.begin(), f.end(), "-");
        if (f.size() < 6 || dash == f.end() || f.end() - dash < 4) continue;
        out.push_back(
            {unescape(f[3]), unescape(f[4]), *(dash + 1), unescape(*(dash + 2)), *(dash + 3)});
    }
    return out;
}

Result<std::vector<std::string>> mount_points_under(const std::string& dir,
                                                    const std::string& mountinfo) {
    auto text = TRY_CTX(read_file(mountinfo), "list mounts");
    std::string base = clean_path(dir);
    std::vector<std::string> found;
    for (auto& entry : parse_mountinfo(text)) {
        const std::string& point = entry.mount_point;
        if (point == base || (point.starts_with(base) && point.size() > base.size() &&
                              (base == "/" || point[base.size()] == '/')))
            found.push_back(std::move(entry.mount_point));
    }
    std::reverse(found.begin(), found.end());
    return found;
}

}  // namespace berth
