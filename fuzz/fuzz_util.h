// Helpers shared by the fuzz targets.
#pragma once

#include <dirent.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

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
