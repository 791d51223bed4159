#include "base/socket_address.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cstring>

namespace berth {

Result<void> unix_socket_address(const std::string& path, sockaddr_un& address,
                                 UniqueFd& dir_holder) {
    address = {};
    address.sun_family = AF_UNIX;
    std::string usable = path;
    if (path.size() >= sizeof address.sun_path) {
        size_t slash = path.rfind('/');
        if (slash == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "socket path too long: " + path);
        std::string dir = slash == 0 ? "/" : path.substr(0, slash);
        dir_holder.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir_holder.valid()) return fail_errno("open " + dir);
        usable = "/proc/self/fd/" + std::to_string(dir_holder.get()) + path.substr(slash);
        if (usable.size() >= sizeof address.sun_path)
            return fail(ErrorKind::InvalidArgument, "socket path too long: " + path);
    }
    std::memcpy(address.sun_path, usable.c_str(), usable.size() + 1);
    return {};
}

}  // namespace berth
