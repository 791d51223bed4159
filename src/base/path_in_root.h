// Path resolution confined to a root directory, as the kernel does for a chrooted process:
// ".." never climbs above the root and absolute symlinks are taken relative to it. A hostile image
// (a symlink "/proc -> /", "../../etc", a symlink loop) can therefore never send an open, a mkdir
// or a mount to a place outside the root.
//
// openat2(RESOLVE_IN_ROOT) is used where the kernel has it (5.6+); elsewhere a
// component-by-component walk with O_NOFOLLOW gives the same answer for a tree that is not changing
// underneath.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

enum class CreateMode {
    None,       // everything must exist
    Directory,  // missing components, the last included, are created as directories
    File,       // missing parents are created as directories, the last as an empty file
};

class RootResolver {
  public:
    // root_fd: an open directory that plays "/". Not owned.
    explicit RootResolver(int root_fd, bool use_openat2 = openat2_available())
        : root_fd_(root_fd), use_openat2_(use_openat2) {}

    // Opens `path` (absolute or relative, both taken from the root) with `flags` (O_PATH works).
    // A final symlink is followed unless flags hold O_NOFOLLOW.
    Result<UniqueFd> open(std::string_view path, int flags) const;

    // Makes sure `path` exists (creating what is missing as `mode` says) and returns an O_PATH fd.
    Result<UniqueFd> ensure(std::string_view path, CreateMode mode, mode_t perm = 0755) const;

    static bool openat2_available();

  private:
    Result<UniqueFd> walk(std::string_view path, int flags, CreateMode create, mode_t perm) const;

    int root_fd_;
    bool use_openat2_;
};

// The path of an open fd as the process sees it, "/proc/self/fd/N", for mount(2) and friends.
std::string fd_path(int fd);

}  // namespace berth
