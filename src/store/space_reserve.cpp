#include "store/space_reserve.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/unique_fd.h"

namespace berth::store {

bool SpaceReserve::present() const {
    return ::access(path_.c_str(), F_OK) == 0;
}

Result<void> SpaceReserve::restore() const {
    if (present()) return {};
    std::string temporary = path_ + ".tmp";
    UniqueFd fd(
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return fail_errno("create space reserve " + temporary);
    // posix_fallocate allocates the blocks (it writes them where fallocate is not supported):
    // a sparse file would free nothing when deleted.
    int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(bytes_));
    if (err == 0 && ::fsync(fd.get()) != 0) err = errno;
    if (err == 0 && ::rename(temporary.c_str(), path_.c_str()) != 0) err = errno;
    if (err != 0) {
        ::unlink(temporary.c_str());
        return fail(Error::from_errno("make space reserve " + path_, err));
    }
    return {};
}

void SpaceReserve::remove_leftovers() const {
    std::filesystem::path path(path_);
    std::string prefix = path.filename().string() + ".";
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), error)) {
        std::string name = entry.path().filename().string();
        if (name.size() == prefix.size() + 6 && name.starts_with(prefix))
            ::unlink(entry.path().c_str());
    }
}

Result<bool> SpaceReserve::release() const {
    if (::unlink(path_.c_str()) == 0) return true;
    if (errno == ENOENT) return false;
    return fail_errno("delete space reserve " + path_);
}

}  // namespace berth::store
