#include "runtime/self_protect.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.h"

extern char** environ;

namespace berth::runtime {

namespace {

constexpr unsigned kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// A detached, read-only bind mount of the binary file, as an fd to exec from.
Result<UniqueFd> readonly_bind_of(int exe_fd) {
    UniqueFd tree(static_cast<int>(
        ::syscall(SYS_open_tree, exe_fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
    if (!tree) return fail_errno("open_tree of the binary");
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return fail_errno("make the bind mount of the binary read-only");
    if (!is_protected_copy(tree.get()))
        return fail(ErrorKind::Internal, "bind mount is not read-only");
    return tree;
}

Result<UniqueFd> sealed_memfd_copy(int exe_fd, const char* name) {
    struct stat st {};
    if (::fstat(exe_fd, &st) < 0) return fail_errno("stat /proc/self/exe");
    // MFD_CLOEXEC is fine: the kernel keeps the file as our executable after execveat().
    int mem = ::memfd_create(name, MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (mem < 0) return fail_errno("memfd_create");
    UniqueFd mem_fd(mem);
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = ::sendfile(mem, exe_fd, &offset, static_cast<size_t>(st.st_size - offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("copy the binary to a memfd");
        }
        if (n == 0) break;
    }
    if (::fcntl(mem, F_ADD_SEALS, kSeals) < 0) return fail_errno("seal the copy of the binary");
    return mem_fd;
}

}  // namespace

bool is_protected_copy(int fd) {
    int seals = ::fcntl(fd, F_GET_SEALS);
    if (seals >= 0 && (static_cast<unsigned>(seals) & kSeals) == kSeals) return true;
    struct statvfs vfs {};
    return ::fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

Result<UniqueFd> protected_copy_of(int exe_fd, const char* name) {
    auto copy = readonly_bind_of(exe_fd);
    if (copy) return copy;
    return sealed_memfd_copy(exe_fd, name);
}

Result<void> ensure_running_from_sealed_copy(char** argv, const char* name) {
    int exe = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0) return fail_errno("open /proc/self/exe");
    UniqueFd exe_fd(exe);
    if (is_protected_copy(exe)) return {};

    auto copy = TRY(protected_copy_of(exe, name));
    ::execveat(copy.get(), "", argv, environ, AT_EMPTY_PATH);
    return fail_errno("re-exec from a protected copy");
}

}  // namespace berth::runtime
