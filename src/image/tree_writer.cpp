#include "image/tree_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <set>

#include "base/fs.h"
#include "image/whiteout.h"

namespace berth::image {

namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// Removes the directory parent/name and everything in it, never following a symlink.
Result<void> remove_tree_at(int parent, const char* name) {
    int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return fail_errno(std::string("open ") + name);
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
    if (!dir) {
        ::close(fd);
        return fail_errno(std::string("opendir ") + name);
    }
    std::vector<std::pair<std::string, bool>> children;  // name, is a directory
    while (auto* child = ::readdir(dir.get())) {
        std::string_view child_name = child->d_name;
        if (child_name == "." || child_name == "..") continue;
        bool is_dir = child->d_type == DT_DIR;
        if (child->d_type == DT_UNKNOWN) {
            struct stat st {};
            if (::fstatat(::dirfd(dir.get()), child->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return fail_errno(std::string("stat ") + child->d_name);
            is_dir = S_ISDIR(st.st_mode);
        }
        children.emplace_back(child_name, is_dir);
    }
    for (const auto& [child, is_dir] : children) {
        if (is_dir) {
            TRY(remove_tree_at(::dirfd(dir.get()), child.c_str()));
        } else if (::unlinkat(::dirfd(dir.get()), child.c_str(), 0) < 0) {
            return fail_errno("unlink " + child);
        }
    }
    dir.reset();
    if (::unlinkat(parent, name, AT_REMOVEDIR) < 0) return fail_errno(std::string("rmdir ") + name);
    return {};
}

// A path the l*xattr calls can take for parent/name without following name: the parent through
// its /proc magic link (our own fd, not layer content), then name taken as is.
std::string proc_path(int parent, const char* name) {
    return "/proc/self/fd/" + std::to_string(parent) + "/" + name;
}

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

std::optional<std::string> clean_layer_path(std::string_view name) {
    while (name.starts_with('/'))
        name.remove_prefix(1);
    std::string cleaned = clean_path(name);
    if (cleaned == ".." || cleaned.starts_with("../")) return std::nullopt;
    if (cleaned == ".") return std::string();
    return cleaned;
}

TreeWriter::TreeWriter(UniqueFd root, TreeWriterOptions options)
    : root_(std::move(root)),
      resolver_(root_.get()),
      options_(options),
      euid_(::geteuid()),
      egid_(::getegid()) {}

Result<TreeWriter> TreeWriter::open(const std::string& root, TreeWriterOptions options) {
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + root);
    UniqueFd owned(fd);
    struct stat st {};
    if (::fstat(fd, &st) < 0) return fail_errno("stat " + root);
    TreeWriter writer(std::move(owned), options);
    // Files made in a setgid directory take its group, not ours: then always chown.
    writer.root_setgid_ = (st.st_mode & S_ISGID) != 0;
    return writer;
}

bool TreeWriter::needs_chown(const TreeEntry& entry) const {
    if (!options_.preserve_ownership) return false;
    // What we create is ours already (directories stay 0700, so no setgid, until finish()).
    return root_setgid_ || entry.uid != euid_ || entry.gid != egid_;
}

Result<int> TreeWriter::directory_fd(std::string_view dir) {
    if (dir.empty()) return root_.get();
    if (cache_valid_ && dir == cached_dir_) return cached_fd_.get();
    auto fd = resolver_.open(dir, O_PATH | O_DIRECTORY);
    if (!fd && fd.error().sys_errno() == ENOENT) {
        fd = resolver_.ensure(dir, CreateMode::Directory, 0755);
        if (fd) {
            struct stat st {};
            if (::fstat(fd->get(), &st) < 0) return fail_errno("stat " + std::string(dir));
            if (!S_ISDIR(st.st_mode))
                return fail(ErrorKind::InvalidArgument,
                            "parent " + std::string(dir) + " is not a directory");
        }
    }
    if (!fd) {
        if (fd.error().sys_errno() == ENOTDIR)
            return fail(ErrorKind::InvalidArgument,
                        "parent " + std::string(dir) + " is not a directory");
        return fail(std::move(fd).error());
    }
    // The old fd may still be in use by the caller's previous entry only, never this one.
    cached_fd_ = std::move(*fd);
    cached_dir_.assign(dir);
    cache_valid_ = true;
    return cached_fd_.get();
}

Result<int> TreeWriter::parent_of(std::string_view path, std::string_view& name) {
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) {
        name = path;
        return root_.get();
    }
    name = path.substr(slash + 1);
    return directory_fd(path.substr(0, slash));
}

Result<void> TreeWriter::remove_existing(int parent, std::string_view path, const char* name) {
    struct stat st {};
    if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return fail_errno(std::string("stat ") + name);
    }
    // The cached parent may have lived under what goes away. The fd in hand (`parent`) stays
    // valid: it holds what is removed, so cannot be inside it.
    cache_valid_ = false;
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(parent, name, 0) < 0) return fail_errno(std::string("unlink ") + name);
        return {};
    }
    TRY(remove_tree_at(parent, name));
    std::string prefix = std::string(path) + "/";
    for (auto& dir : dirs_) {
        if (dir.path == path || dir.path.starts_with(prefix)) dir.removed = true;
    }
    return {};
}

template <typename Create>
Result<void> TreeWriter::create_replacing(int parent, std::string_view path, const char* name,
                                          const char* what, Create create) {
    if (create() >= 0) return {};
    if (errno != EEXIST) return fail_errno(what);
    TRY(remove_existing(parent, path, name));
    if (create() >= 0) return {};
    return fail_errno(what);
}

Result<void> TreeWriter::set_xattrs(const TreeEntry& entry, int fd, int parent, const char* name) {
    for (const auto& xattr : entry.xattrs) {
        // overlayfs reads its own xattrs (redirect, metacopy, origin...) off the layers: a layer
        // may not set them. Opaque directories come from ".wh..wh..opq" only.
        if (std::string_view(xattr.name).starts_with(kOverlayXattrPrefix)) continue;
        int rc =
            fd >= 0 ? ::fsetxattr(fd, xattr.name.c_str(), xattr.value.data(), xattr.value.size(), 0)
                    : ::lsetxattr(proc_path(parent, name).c_str(), xattr.name.c_str(),
                                  xattr.value.data(), xattr.value.size(), 0);
        if (rc == 0) continue;
        // As docker does: a file system without xattrs loses them; user.* xattrs are not allowed
        // on symlinks and devices.
        if (errno == ENOTSUP) continue;
        if (errno == EPERM && xattr.name.starts_with("user.") && entry.type != EntryType::Regular &&
            entry.type != EntryType::Directory)
            continue;
        return fail_errno("set xattr " + xattr.name);
    }
    return {};
}

Result<void> TreeWriter::apply_metadata_at(const TreeEntry& entry, int parent, const char* name) {
    if (needs_chown(entry) &&
        ::fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno("chown");
    if (!entry.xattrs.empty()) TRY(set_xattrs(entry, -1, parent, name));
    // Just made by us and not a symlink, so following is moot; chmod after chown (which clears
    // setuid and setgid).
    if (entry.type != EntryType::Symlink && ::fchmodat(parent, name, entry.mode & 07777, 0) < 0)
        return fail_errno("chmod");
    timespec times[2] = {entry.atime, entry.mtime};
    if (::utimensat(parent, name, times, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("set times");
    return {};
}

Result<void> TreeWriter::add_directory(const TreeEntry& entry, int parent, const char* name) {
    struct stat st {};
    bool made = ::mkdirat(parent, name, 0700) == 0;
    if (!made) {
        if (errno != EEXIST) return fail_errno("mkdir");
        if (::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("stat");
        if (!S_ISDIR(st.st_mode)) {  // a directory replacing a file keeps nothing of it
            TRY(remove_existing(parent, entry.path, name));
            if (::mkdirat(parent, name, 0700) < 0) return fail_errno("mkdir");
            made = true;
        }
    }
    if (made && ::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail_errno("stat");
    if (needs_chown(entry) &&
        ::fchownat(parent, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_errno("chown");
    if (!entry.xattrs.empty()) {
        int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return fail_errno("open");
        UniqueFd dir(fd);
        TRY(set_xattrs(entry, fd, parent, name));
    }
    // Mode and times wait for finish(): children would change the times, and a read-only mode
    // would keep an unprivileged caller from adding them.
    DirRecord record{std::string(entry.path), st.st_dev,   st.st_ino,
                     entry.mode & 07777,      entry.atime, entry.mtime};
    auto [it, inserted] = dir_index_.try_emplace(record.path, dirs_.size());
    if (inserted) {
        dirs_.push_back(std::move(record));
    } else {
        dirs_[it->second] = std::move(record);
    }
    return {};
}

Result<void> TreeWriter::add_regular(const TreeEntry& entry, int parent, const char* name,
                                     const FileData& data) {
    int fd = -1;
    TRY(create_replacing(parent, entry.path, name, "create", [&] {
        fd = ::openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        return fd;
    }));
    UniqueFd file(fd);
    if (data) TRY(data(fd));
    // Order matters: chown clears setuid/setgid and security.capability, writes clear them too.
    if (needs_chown(entry) && ::fchown(fd, entry.uid, entry.gid) < 0) return fail_errno("chown");
    if (!entry.xattrs.empty()) TRY(set_xattrs(entry, fd, parent, name));
    if (::fchmod(fd, entry.mode & 07777) < 0) return fail_errno("chmod");
    timespec times[2] = {entry.atime, entry.mtime};
    if (::futimens(fd, times) < 0) return fail_errno("set times");
    return {};
}

Result<void> TreeWriter::add_hardlink(const TreeEntry& entry, int parent, const char* name) {
    std::string_view target = entry.link;
    if (target.empty()) return fail(ErrorKind::InvalidArgument, "hardlink to the layer root");
    auto not_found = [&] {
        return fail(ErrorKind::InvalidArgument,
                    "hardlink target \"" + std::string(target) + "\" does not exist in the layer");
    };
    auto slash = target.rfind('/');
    std::string target_name(slash == std::string_view::npos ? target : target.substr(slash + 1));
    std::string_view target_dir = slash == std::string_view::npos ? "" : target.substr(0, slash);
    std::string_view entry_dir = entry.path.substr(0, entry.path.size() - std::strlen(name));
    if (!entry_dir.empty()) entry_dir.remove_suffix(1);  // the '/'

    // The target's directory, resolved inside the root like any other path (never created).
    int target_parent = root_.get();
    UniqueFd target_parent_owned;
    if (target_dir == entry_dir) {
        target_parent = parent;
    } else if (!target_dir.empty()) {
        auto fd = resolver_.open(target_dir, O_PATH | O_DIRECTORY);
        if (!fd) {
            int err = fd.error().sys_errno();
            if (err == ENOENT || err == ENOTDIR) return not_found();
            return fail(std::move(fd).error());
        }
        target_parent_owned = std::move(*fd);
        target_parent = target_parent_owned.get();
    }
    struct stat target_st {};
    if (::fstatat(target_parent, target_name.c_str(), &target_st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return not_found();
        return fail_errno("stat hardlink target");
    }
    if (S_ISDIR(target_st.st_mode))
        return fail(ErrorKind::InvalidArgument,
                    "hardlink target \"" + std::string(target) + "\" is a directory");

    // linkat without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to.
    if (::linkat(target_parent, target_name.c_str(), parent, name, 0) == 0) return {};
    if (errno != EEXIST) return fail_errno("link");
    struct stat existing {};
    if (::fstatat(parent, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
        same_file(existing, target_st))
        return {};  // already that file (a link to itself, or through an aliasing symlink)
    TRY(remove_existing(parent, entry.path, name));
    if (::linkat(target_parent, target_name.c_str(), parent, name, 0) < 0)
        return fail_errno("link");
    return {};
}

Result<void> TreeWriter::add(const TreeEntry& entry, const FileData& data) {
    std::string_view name_view;
    int parent = TRY(parent_of(entry.path, name_view));
    std::string name(name_view);
    const char* n = name.c_str();
    switch (entry.type) {
        case EntryType::Directory:
            return add_directory(entry, parent, n);
        case EntryType::Regular:
            return add_regular(entry, parent, n, data);
        case EntryType::Hardlink:
            return add_hardlink(entry, parent, n);
        case EntryType::Symlink:
            if (entry.link.empty()) return fail(ErrorKind::InvalidArgument, "empty symlink target");
            TRY(create_replacing(parent, entry.path, n, "symlink", [&] {
                return ::symlinkat(std::string(entry.link).c_str(), parent, n);
            }));
            return apply_metadata_at(entry, parent, n);
        case EntryType::CharDevice:
        case EntryType::BlockDevice:
            if (!options_.allow_device_nodes)
                return fail(ErrorKind::InvalidArgument, "device nodes are not allowed");
            [[fallthrough]];
        case EntryType::Fifo: {
            mode_t type = entry.type == EntryType::CharDevice    ? S_IFCHR
                          : entry.type == EntryType::BlockDevice ? S_IFBLK
                                                                 : S_IFIFO;
            dev_t rdev = entry.type == EntryType::Fifo ? 0 : entry.rdev;
            TRY(create_replacing(parent, entry.path, n, "mknod",
                                 [&] { return ::mknodat(parent, n, type | 0600, rdev); }));
            return apply_metadata_at(entry, parent, n);
        }
    }
    return fail(ErrorKind::Internal, "unknown entry type");
}

Result<void> TreeWriter::add_whiteout(const TreeEntry& entry) {
    std::string_view name_view;
    int parent = TRY(parent_of(entry.path, name_view));
    std::string name(name_view);
    const char* n = name.c_str();
    TRY(create_replacing(parent, entry.path, n, "mknod whiteout",
                         [&] { return ::mknodat(parent, n, S_IFCHR, makedev(0, 0)); }));
    TreeEntry whiteout = entry;
    whiteout.type = EntryType::CharDevice;
    whiteout.mode = 0;  // as overlayfs makes them
    whiteout.xattrs = {};
    return apply_metadata_at(whiteout, parent, n);
}

Result<void> TreeWriter::mark_opaque(std::string_view path) {
    int dir = TRY(directory_fd(path));
    // The parent fds are O_PATH, which xattr calls refuse: open the directory itself.
    int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open directory");
    UniqueFd owned(fd);
    if (::fsetxattr(fd, kOverlayOpaqueXattr, "y", 1, 0) < 0)
        return fail_errno(std::string("set ") + kOverlayOpaqueXattr);
    return {};
}

Result<void> TreeWriter::finish() {
    cached_fd_.reset();
    cache_valid_ = false;
    // Children before parents (the reverse of tar order), though as root the order is moot. A
    // directory reached under two names (through a symlink) takes its last entry's metadata.
    std::set<std::pair<dev_t, ino_t>> applied;
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        const DirRecord& dir = *it;
        if (dir.removed) continue;
        auto fd = resolver_.open(dir.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (!fd) {
            int err = fd.error().sys_errno();
            if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;  // replaced later on
            return fail(std::move(fd).error().context("directory " + dir.path));
        }
        struct stat st {};
        if (::fstat(fd->get(), &st) < 0) return fail_errno("stat " + dir.path);
        if (st.st_dev != dir.dev || st.st_ino != dir.ino) continue;
        if (!applied.emplace(st.st_dev, st.st_ino).second) continue;
        if (::fchmod(fd->get(), dir.mode) < 0) return fail_errno("chmod " + dir.path);
        timespec times[2] = {dir.atime, dir.mtime};
        if (::futimens(fd->get(), times) < 0) return fail_errno("set times of " + dir.path);
    }
    return {};
}

}  // namespace berth::image
