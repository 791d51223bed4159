#include "engine/monitor_binary.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "base/fs.h"
#include "runtime/self_protect.h"

namespace berth::engine {
namespace {

constexpr int kCopyFdFloor = 100;

}  // namespace

Result<MonitorBinary::Executable> MonitorBinary::executable() {
    std::lock_guard lock(mutex_);
    struct stat st {};
    // One stat per start: the copy is remade only when the file on disk is another one.
    if (::stat(path_.c_str(), &st) < 0) return fail_errno("stat " + path_);
    Identity now{st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    if (!copy_ || now != copied_) {
        auto file = TRY(open_fd(path_, O_RDONLY));
        if (::fstat(file.get(), &st) < 0) return fail_errno("stat " + path_);
        auto copy = TRY_CTX(runtime::protected_copy_of(file.get(), "berth-monitor"),
                            "protect " + path_ + " from the containers");
        // Clear of the low numbers a spawned monitor's fds are moved to (posix_spawn's dup2s
        // run before the exec of /proc/self/fd/N).
        UniqueFd high(::fcntl(copy.get(), F_DUPFD_CLOEXEC, kCopyFdFloor));
        if (!high) return fail_errno("dup the copy of " + path_);
        copy_ = std::make_shared<const UniqueFd>(std::move(high));
        copied_ = {st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    }
    return Executable{copy_, "/proc/self/fd/" + std::to_string(copy_->get())};
}

}  // namespace berth::engine
