// The address of a unix socket at a path of any length.
#pragma once

#include <sys/un.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

// The address of a unix socket at `path`. A path too long for sun_path (a deep exec root) is
// reached through its directory: /proc/self/fd/<dir>/<name>, with `dir_holder` keeping the
// directory open for as long as the address is used.
Result<void> unix_socket_address(const std::string& path, sockaddr_un& address,
                                 UniqueFd& dir_holder);

}  // namespace berth
