// Resolution of docker's `User` ("name", "uid", "name:group", "uid:gid", …) and `GroupAdd` against
// the /etc/passwd and /etc/group of a container's root file system, with docker's rules: numeric
// ids need no entry, a name must have one, and a user named without a group gets the groups
// /etc/group lists it in. The files are opened confined to the root file system (a symlinked
// /etc/passwd resolves inside it, never on the host).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::spec {

struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    // What docker puts in process.user.additionalGids: the primary gid, then the user's groups
    // from /etc/group, then GroupAdd's.
    std::vector<uint32_t> additional_gids;
    std::string home;  // empty when /etc/passwd has no entry for the user
};

// The same from the files' contents (nullopt: the file does not exist).
Result<ResolvedUser> resolve_user_in(std::string_view user_spec,
                                     const std::vector<std::string>& group_add,
                                     const std::optional<std::string>& passwd,
                                     const std::optional<std::string>& group);

// Resolves `user_spec` and `group_add` against <rootfs>/etc/passwd and <rootfs>/etc/group.
// Errors as docker's: "unable to find user app: no matching entries in passwd file" (NotFound
// kind is not used: these are InvalidArgument, a bad request for this image).
Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user_spec,
                                  const std::vector<std::string>& group_add);

// A file of the root file system read confined to it (symlinks resolved inside it): nullopt
// when it does not exist, is not a regular file (a FIFO, a device, a socket: those are never
// opened for reading), or a symlink loop or escape leads nowhere. More than `limit` bytes is an
// error. Every read of a file a container controls goes through here.
Result<std::optional<std::string>> read_file_in_root(const std::string& rootfs,
                                                     std::string_view path,
                                                     size_t limit = 16 << 20);
// The same with the root as an open directory, and `proc_fds` an fd of the host's
// /proc/self/fd, through which the file is reopened: for a caller chrooted into the root, where
// the path /proc names the container's directory.
Result<std::optional<std::string>> read_file_in_root(int root_fd, int proc_fds,
                                                     std::string_view path,
                                                     size_t limit = 16 << 20);

}  // namespace berth::spec
