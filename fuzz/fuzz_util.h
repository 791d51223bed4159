// Helpers shared by the fuzz targets.
#pragma once

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

// A broken invariant prints what broke and aborts, which libFuzzer reports as a crash (saving the
// input). The message is printf-style.
#define FUZZ_CHECK(cond, ...)                                                                  \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n  ", __FILE__, __LINE__, \
                         #cond);                                                               \
            std::fprintf(stderr, __VA_ARGS__);                                                 \
            std::fprintf(stderr, "\n");                                                        \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

// The names in a directory (none when it cannot be read).
inline std::set<std::string> list_names(const std::string& dir) {
    std::set<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != "..") names.insert(name);
        }
        ::closedir(d);
    }
    return names;
}

// Deeply nested JSON overflows the stack of whatever walks it recursively, a known defect being
// fixed in base/json (a nesting limit on every parse). The JSON targets skip such inputs (return
// -1) so that it does not drown whatever else they would find: kFuzzJsonDepth is far deeper than
// any real document and far shallower than the stack allows.
inline constexpr int kFuzzJsonDepth = 100;

// Whether the brackets of `text` nest at most `limit` deep, not counting those inside strings.
inline bool json_nesting_within(std::string_view text, int limit) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return false;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return true;
}
