#include "runtime/self_protect.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"

extern char** environ;

namespace berth::runtime {

namespace {

constexpr unsigned kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

bool running_from_sealed_copy() {
    int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    int seals = ::fcntl(fd, F_GET_SEALS);
    ::close(fd);
    return seals >= 0 && (static_cast<unsigned>(seals) & kSeals) == kSeals;
}

}  // namespace

Result<void> ensure_running_from_sealed_copy(char** argv) {
    if (running_from_sealed_copy()) return {};
    int exe = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0) return fail_errno("open /proc/self/exe");
    UniqueFd exe_fd(exe);
    struct stat st {};
    if (::fstat(exe, &st) < 0) return fail_errno("stat /proc/self/exe");
    // MFD_CLOEXEC is fine: the kernel keeps the file as our executable after execveat().
    int mem = ::memfd_create("berth-runtime", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (mem < 0) return fail_errno("memfd_create");
    UniqueFd mem_fd(mem);
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = ::sendfile(mem, exe, &offset, static_cast<size_t>(st.st_size - offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("copy runtime binary to memfd");
        }
        if (n == 0) break;
    }
    if (::fcntl(mem, F_ADD_SEALS, kSeals) < 0) return fail_errno("seal runtime binary copy");
    ::execveat(mem, "", argv, environ, AT_EMPTY_PATH);
    return fail_errno("re-exec from sealed copy");
}

}  // namespace berth::runtime
