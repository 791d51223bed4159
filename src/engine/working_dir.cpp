#include "engine/working_dir.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "base/path_in_root.h"

namespace berth::engine {

Result<void> ensure_working_dir(const std::string& rootfs, std::string_view working_dir) {
    if (working_dir.empty()) return {};
    UniqueFd root = TRY(open_fd(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto made = RootResolver(root.get()).ensure(working_dir, CreateMode::Directory, 0755);
    if (!made) {
        if (made.error().sys_errno() == ENOTDIR)
            return fail(ErrorKind::InvalidArgument,
                        "Cannot mkdir: " + std::string(working_dir) + " is not a directory");
        return fail(std::move(made).error().context("working directory"));
    }
    struct stat st {};
    if (::fstat(made->get(), &st) < 0) return fail_errno("stat the working directory");
    if (!S_ISDIR(st.st_mode))
        return fail(ErrorKind::InvalidArgument,
                    "Cannot mkdir: " + std::string(working_dir) + " is not a directory");
    return {};
}

}  // namespace berth::engine
