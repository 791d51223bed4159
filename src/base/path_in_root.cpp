#include "base/path_in_root.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <deque>
#include <vector>

namespace berth {

namespace {

constexpr int kMaxSymlinks = 40;  // what the kernel allows (MAXSYMLINKS)

long sys_openat2(int dirfd, const char* path, open_how* how) {
    return ::syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

// The components of `path`. A trailing slash ends it with ".", as the kernel reads "a/": "a"
// must be a directory, and a symlink there is followed even with O_NOFOLLOW.
void split_into(std::deque<std::string>& out, std::string_view path, bool at_front) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        if (next > pos) parts.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    if (!parts.empty() && path.ends_with('/')) parts.emplace_back(".");
    if (at_front) {
        out.insert(out.begin(), parts.begin(), parts.end());
    } else {
        out.insert(out.end(), parts.begin(), parts.end());
    }
}

}  // namespace

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

bool RootResolver::openat2_available() {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;
    long fd = sys_openat2(AT_FDCWD, "/", &how);
    if (fd < 0) return false;
    ::close(static_cast<int>(fd));
    return true;
}

namespace {

// A NUL ends a path for the kernel but not for a std::string: refused, so that openat2 (which
// would stop at it) and the walk (which would not) can never resolve it differently.
Result<void> check_no_nul(std::string_view path) {
    if (path.find('\0') == std::string_view::npos) return {};
    return fail(
        ErrorKind::InvalidArgument,
        "path \"" + std::string(path.substr(0, path.find('\0'))) + "\\x00...\" holds a NUL byte");
}

}  // namespace

Result<UniqueFd> RootResolver::open(std::string_view path, int flags) const {
    TRY(check_no_nul(path));
    if (use_openat2_) {
        open_how how{};
        how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        std::string p(path.empty() ? "." : path);
        for (;;) {
            long fd = sys_openat2(root_fd_, p.c_str(), &how);
            if (fd >= 0) return UniqueFd(static_cast<int>(fd));
            if (errno == EAGAIN || errno == EINTR) continue;  // a rename raced us; try again
            return fail_errno("open " + p + " in root");
        }
    }
    return walk(path, flags, CreateMode::None, 0);
}

Result<UniqueFd> RootResolver::ensure(std::string_view path, CreateMode mode, mode_t perm) const {
    TRY(check_no_nul(path));
    if (auto existing = open(path, O_PATH); existing) return existing;
    return walk(path, O_PATH, mode, perm);
}

// Walks the path one component at a time from the root. `stack` holds the fds of the directories
// from the root down to the current one, so ".." pops and can never leave the root.
Result<UniqueFd> RootResolver::walk(std::string_view path, int flags, CreateMode create,
                                    mode_t perm) const {
    std::string display(path);
    std::vector<UniqueFd> stack;
    int root_dup = ::fcntl(root_fd_, F_DUPFD_CLOEXEC, 0);
    if (root_dup < 0) return fail_errno("dup root fd");
    stack.emplace_back(root_dup);

    std::deque<std::string> pending;
    split_into(pending, path, false);
    int links = 0;
    bool follow_last = (flags & O_NOFOLLOW) == 0;

    while (!pending.empty()) {
        std::string name = std::move(pending.front());
        pending.pop_front();
        bool last = pending.empty();
        if (name == ".") continue;
        if (name == "..") {
            if (stack.size() > 1) stack.pop_back();
            continue;
        }
        int cur = stack.back().get();
        struct stat st {};
        if (::fstatat(cur, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT || create == CreateMode::None) return fail_errno("open " + display);
            if (last && create == CreateMode::File) {
                int fd =
                    ::openat(cur, name.c_str(),
                             O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, perm & 0666);
                if (fd < 0 && errno != EEXIST) return fail_errno("create " + display);
                if (fd >= 0) ::close(fd);
            } else if (::mkdirat(cur, name.c_str(), perm) < 0 && errno != EEXIST) {
                return fail_errno("mkdir " + display);
            }
            pending.push_front(name);  // look at what now exists (or what a racer made) again
            continue;
        }
        if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
            if (++links > kMaxSymlinks) return fail_errno("open " + display, ELOOP);
            char target[4096];
            ssize_t n = ::readlinkat(cur, name.c_str(), target, sizeof target - 1);
            if (n < 0) return fail_errno("readlink " + display);
            std::string_view link(target, static_cast<size_t>(n));
            if (!link.empty() && link.front() == '/') stack.resize(1);
            split_into(pending, link, true);
            continue;
        }
        if (!last) {
            if (!S_ISDIR(st.st_mode)) return fail_errno("open " + display, ENOTDIR);
            int fd = ::openat(cur, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) return fail_errno("open " + display);
            stack.emplace_back(fd);
            continue;
        }
        int fd = ::openat(cur, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return fail_errno("open " + display);
        return UniqueFd(fd);
    }
    // The path named the root itself (or only "." and ".." components).
    int fd = ::openat(stack.back().get(), ".", flags | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + display);
    return UniqueFd(fd);
}

}  // namespace berth
