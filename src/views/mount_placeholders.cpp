#include "views/mount_placeholders.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <array>
#include <memory>
#include <optional>

#include "base/fs.h"
#include "base/unique_fd.h"

namespace berth::views {
namespace {

// The runtime's mount targets: files bind-mounted from the container's directory, and the
// directories of whole file systems (tmpfs, proc, sysfs).
constexpr std::array<std::string_view, 3> kFileTargets = {"etc/hostname", "etc/hosts",
                                                          "etc/resolv.conf"};
constexpr std::array<std::string_view, 3> kTreeTargets = {"dev", "proc", "sys"};
constexpr int kMaxPlaceholderDepth = 8;

std::optional<struct stat> lstat_at(int dir_fd, const std::string& path) {
    struct stat st {};
    if (::fstatat(dir_fd, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return std::nullopt;
    return st;
}

bool is_empty_file(const struct stat& st) {
    return S_ISREG(st.st_mode) && st.st_size == 0;
}

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// A tree of nothing but directories and empty files: what mounting made, not what a process wrote.
bool holds_only_placeholders(int parent_fd, const std::string& name, int depth) {
    if (depth > kMaxPlaceholderDepth) return false;
    int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
    if (!dir) {
        ::close(fd);
        return false;
    }
    while (auto* entry = ::readdir(dir.get())) {
        std::string child = entry->d_name;
        if (child == "." || child == "..") continue;
        auto st = lstat_at(::dirfd(dir.get()), child);
        if (!st) return false;
        if (S_ISDIR(st->st_mode)) {
            if (!holds_only_placeholders(::dirfd(dir.get()), child, depth + 1)) return false;
        } else if (!is_empty_file(*st)) {
            return false;
        }
    }
    return true;
}

// The directory as the image has it (the topmost layer that has it); nullopt when none does.
std::optional<struct stat> image_dir(const std::vector<std::string>& lower_dirs,
                                     const std::string& path) {
    for (const auto& lower : lower_dirs) {
        auto st = lstat_at(AT_FDCWD, join_path(lower, path));
        if (st) return st;
    }
    return std::nullopt;
}

// Every entry of upper's `dir` is left out already.
bool holds_only_left_out(int upper_fd, const std::string& dir, const image::LeftOutPaths& out) {
    int fd = ::openat(upper_fd, dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    std::unique_ptr<DIR, DirCloser> listing(::fdopendir(fd));
    if (!listing) {
        ::close(fd);
        return false;
    }
    while (auto* entry = ::readdir(listing.get())) {
        std::string child = entry->d_name;
        if (child == "." || child == "..") continue;
        if (!out.contains(dir + "/" + child)) return false;
    }
    return true;
}

// An opaque directory hides what the image has below it: that is the container's doing.
bool is_opaque(int upper_fd, const std::string& dir) {
    char value[2];
    ssize_t n = ::getxattr(("/proc/self/fd/" + std::to_string(upper_fd) + "/" + dir).c_str(),
                           "trusted.overlay.opaque", value, sizeof value);
    return n == 1 && value[0] == 'y';
}

}  // namespace

image::LeftOutPaths mount_placeholders_in(const std::string& upper_dir,
                                          const std::vector<std::string>& lower_dirs) {
    image::LeftOutPaths out;
    UniqueFd upper(::open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!upper.valid()) return out;
    for (std::string_view file : kFileTargets) {
        auto st = lstat_at(upper.get(), std::string(file));
        if (st && is_empty_file(*st)) out.emplace(file);
    }
    for (std::string_view tree : kTreeTargets)
        if (holds_only_placeholders(upper.get(), std::string(tree), 0)) out.emplace(tree);
    // /etc copied up (or made) only to hold the files above; one whose owner or mode the
    // container changed stays.
    const std::string etc = "etc";
    auto upper_etc = lstat_at(upper.get(), etc);
    if (upper_etc && S_ISDIR(upper_etc->st_mode) && !is_opaque(upper.get(), etc) &&
        holds_only_left_out(upper.get(), etc, out)) {
        auto image_etc = image_dir(lower_dirs, etc);
        bool as_image_has_it = image_etc && image_etc->st_mode == upper_etc->st_mode &&
                               image_etc->st_uid == upper_etc->st_uid &&
                               image_etc->st_gid == upper_etc->st_gid;
        if (!image_etc || as_image_has_it) out.insert(etc);
    }
    return out;
}

}  // namespace berth::views
