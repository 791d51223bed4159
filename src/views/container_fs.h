// A container's file system seen from a helper thread chrooted into it (docker cp and export run
// there; container_archive.h explains the confinement).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "views/container_archive.h"

namespace berth::views {

// What a job inside the container's file system holds of the host's, opened before the chroot:
// in there every path, /proc included, is the container's.
struct HostFds {
    int proc_fds = -1;  // the host's /proc/self/fd (O_PATH)
};

// Runs `job` on a thread of its own that unshares its file system context (and, with binds, its
// mount namespace), mounts the binds inside the root file system and chroots there, in `locale`.
// The thread's root and mounts end with it; the caller blocks until it has.
Result<void> run_in_container_fs(const ContainerFsView& view, const char* locale,
                                 const std::function<Result<void>(const HostFds&)>& job);

// Inside the chroot: a file of the container through read_file_in_root (user_lookup.h): regular
// files only, never opened if they are anything else, at most 16 MiB; nullopt when missing.
Result<std::optional<std::string>> read_container_file(const HostFds& host, std::string_view path);

// Inside the chroot: sets an extended attribute on what `fd` (O_PATH, O_NOFOLLOW) refers to,
// a symlink or device node itself included, through the host's /proc (the thread's working
// directory goes there for the call and comes back: run_in_container_fs's thread has a file
// system context of its own).
Result<void> set_xattr_at_fd(const HostFds& host, int fd, const std::string& name,
                             std::string_view value);

// Inside the chroot: the names /etc/passwd and /etc/group give ids (the first entry of an id),
// for the uname and gname of tar headers, as docker cp's do. Missing or unreadable files give
// none.
struct IdNames {
    std::map<uint32_t, std::string> users;
    std::map<uint32_t, std::string> groups;
};
IdNames read_id_names(const HostFds& host);

// Inside the chroot: dockerd's getUIDGID for `docker cp -a`: "user[:group]", each a name or a
// number, looked up in the container's /etc/passwd and /etc/group.
Result<std::pair<uid_t, gid_t>> resolve_user_in_container(const HostFds& host,
                                                          std::string_view spec);

}  // namespace berth::views
