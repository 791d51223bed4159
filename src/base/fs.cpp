#include "base/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <vector>

namespace berth {

Result<UniqueFd> open_fd(const std::string& path, int flags, mode_t mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return fail_errno("open " + path);
    return UniqueFd(fd);
}

static Result<std::string> read_all(int fd, const std::string& path) {
    std::string data;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read " + path);
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
    }
    return data;
}

Result<std::string> read_file(const std::string& path) {
    auto fd = TRY(open_fd(path, O_RDONLY));
    return read_all(fd.get(), path);
}

Result<std::string> read_file_at(int dirfd, const std::string& path) {
    int fd = ::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + path);
    UniqueFd owned(fd);
    return read_all(fd, path);
}

Result<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<void> write_file(const std::string& path, std::string_view data, mode_t mode) {
    auto fd = TRY(open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, mode));
    TRY_CTX(write_all(fd.get(), data), "write " + path);
    return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Durability durability) {
    std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
        auto fd = TRY(open_fd(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
        if (auto r = write_all(fd.get(), data); !r) {
            ::unlink(tmp.c_str());
            return fail(std::move(r).error().context("write " + tmp));
        }
        if (durability == Durability::Flushed && ::fsync(fd.get()) < 0) {
            int err = errno;
            ::unlink(tmp.c_str());
            return fail_errno("fsync " + tmp, err);
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail_errno("rename " + tmp + " to " + path, err);
    }
    return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
    if (path.empty()) return {};
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return fail(ErrorKind::AlreadyExists, "mkdir " + path + ": not a directory");
    }
    auto slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) TRY(mkdir_all(path.substr(0, slash), mode));
    if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return fail_errno("mkdir " + path);
    return {};
}

namespace {

struct DirIdentity {
    dev_t dev = 0;
    std::optional<bool> mount_root;  // unknown before Linux 5.8
};

DirIdentity identity_of(int fd) {
    struct statx stx {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) != 0) return {};
    DirIdentity identity{makedev(stx.stx_dev_major, stx.stx_dev_minor), std::nullopt};
    if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
        identity.mount_root = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    return identity;
}

// `top` is the device of the tree's root. Below it, a mount root (or, where the kernel cannot
// tell, a directory of another device) is another mount, and what is in it is not ours.
Result<void> remove_tree_at(int parent, const char* name, std::optional<dev_t> top) {
    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        DirIdentity identity = identity_of(fd);
        if (top && identity.mount_root.value_or(identity.dev != *top)) {
            ::close(fd);
            errno = EBUSY;
            return fail_errno(std::string("remove ") + name + " (a mount point)");
        }
        DIR* dir = ::fdopendir(fd);
        if (dir == nullptr) {
            ::close(fd);
            return fail_errno(std::string("opendir ") + name);
        }
        std::vector<std::string> children;
        while (auto* entry = ::readdir(dir)) {
            std::string child = entry->d_name;
            if (child != "." && child != "..") children.push_back(std::move(child));
        }
        Result<void> result;
        for (const auto& child : children) {
            if (auto r = remove_tree_at(::dirfd(dir), child.c_str(), top.value_or(identity.dev));
                !r && result)
                result = r;
        }
        ::closedir(dir);
        if (!result) return result;
        if (::unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            return fail_errno(std::string("rmdir ") + name);
        return {};
    }
    if (::unlinkat(parent, name, 0) < 0 && errno != ENOENT)
        return fail_errno(std::string("unlink ") + name);
    return {};
}

}  // namespace

Result<void> remove_all(const std::string& path) {
    return remove_tree_at(AT_FDCWD, path.c_str(), std::nullopt);
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string join_path(std::string_view a, std::string_view b) {
    std::string out(a);
    while (!out.empty() && out.back() == '/')
        out.pop_back();
    while (!b.empty() && b.front() == '/')
        b.remove_prefix(1);
    out += '/';
    out += b;
    return out;
}

std::string clean_path(std::string_view path) {
    bool absolute = !path.empty() && path.front() == '/';
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos) next = path.size();
        std::string_view part = path.substr(pos, next - pos);
        pos = next + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty() && parts.back() != "..") {
                parts.pop_back();
            } else if (!absolute) {
                parts.push_back(part);
            }
            continue;
        }
        parts.push_back(part);
    }
    std::string out = absolute ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += '/';
        out += parts[i];
    }
    if (out.empty()) return ".";
    return out;
}

Result<std::string> absolute_path(std::string_view path) {
    if (path.starts_with('/')) return clean_path(path);
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return fail_errno("getcwd");
    return clean_path(join_path(cwd, path));
}

}  // namespace berth
