// A container's file system seen from a helper thread chrooted into it (docker cp and export run
// there; container_archive.h explains the confinement).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "engine/container_archive.h"

namespace berth::engine {

// Runs `job` on a thread of its own that unshares its file system context (and, with binds, its
// mount namespace), mounts the binds inside the root file system and chroots there, in `locale`.
// The thread's root and mounts end with it; the caller blocks until it has.
Result<void> run_in_container_fs(const ContainerFsView& view, const char* locale,
                                 const std::function<Result<void>()>& job);

// Inside the chroot: dockerd's getUIDGID for `docker cp -a`: "user[:group]", each a name or a
// number, looked up in the container's /etc/passwd and /etc/group.
Result<std::pair<uid_t, gid_t>> resolve_user_in_container(std::string_view spec);

}  // namespace berth::engine
