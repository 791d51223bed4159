#include "views/container_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "base/base64.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/path_in_root.h"
#include "base/unique_fd.h"
#include "image/archive_entries.h"
#include "image/tree_writer.h"
#include "views/container_fs.h"

namespace berth::views {

namespace {

struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// ---- paths, the way Go's path/filepath handles them ----

// filepath.Base: the last element after trailing slashes go; "." for "", "/" for all slashes.
std::string go_base(std::string_view path) {
    if (path.empty()) return ".";
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    if (path == "/") return "/";
    auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool specifies_current_dir(std::string_view path) {
    return go_base(path) == ".";
}

std::string not_found_message(std::string_view path, const std::string& container) {
    std::string message = "Could not find the file " + std::string(path) + " in container";
    if (!container.empty()) message += " " + container;
    return message;
}

// RFC 3339 with Go's RFC3339Nano precision rule: trailing zeros of the fraction dropped.
std::string format_time(const timespec& ts) {
    struct tm tm {};
    time_t seconds = ts.tv_sec;
    ::gmtime_r(&seconds, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buffer;
    if (ts.tv_nsec != 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%09ld", static_cast<long>(ts.tv_nsec));
        std::string f = fraction;
        while (f.back() == '0')
            f.pop_back();
        out += f;
    }
    return out + "Z";
}

// ---- inside the chroot ----

// moby's symlink.FollowSymlinkInScope(path, "/"): every symlink resolved, ".." clamped at the
// root, and what does not exist kept as written.
Result<std::string> follow_symlinks_in_scope(const std::string& path) {
    std::vector<std::string> pending;  // components still to walk, last first
    auto push_components = [&](std::string_view p) {
        std::vector<std::string> parts;
        size_t pos = 0;
        while (pos <= p.size()) {
            size_t next = p.find('/', pos);
            if (next == std::string_view::npos) next = p.size();
            if (next > pos) parts.emplace_back(p.substr(pos, next - pos));
            pos = next + 1;
        }
        for (auto it = parts.rbegin(); it != parts.rend(); ++it)
            pending.push_back(std::move(*it));
    };
    push_components(path);
    std::string resolved;  // "" is "/"
    int links = 0;
    while (!pending.empty()) {
        std::string part = std::move(pending.back());
        pending.pop_back();
        if (part == ".") continue;
        if (part == "..") {
            auto slash = resolved.rfind('/');
            resolved.resize(slash == std::string::npos ? 0 : slash);
            continue;
        }
        std::string candidate = resolved + "/" + part;
        struct stat st {};
        if (::lstat(candidate.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) {
            resolved = std::move(candidate);
            continue;
        }
        if (++links > 255) return fail(ErrorKind::InvalidArgument, "too many links in " + path);
        std::string target(PATH_MAX, '\0');
        ssize_t n = ::readlink(candidate.c_str(), target.data(), target.size());
        if (n < 0) return fail_errno("readlink " + candidate);
        target.resize(static_cast<size_t>(n));
        if (target.starts_with('/')) resolved.clear();
        push_components(target);
    }
    return resolved.empty() ? "/" : resolved;
}

Result<PathStat> stat_in_root(const std::string& abs_path, std::string_view original,
                              const std::string& container) {
    struct stat st {};
    if (::lstat(abs_path.c_str(), &st) < 0) {
        if (errno == ENOENT)
            return fail(ErrorKind::NotFound, not_found_message(original, container));
        return fail_errno("stat " + std::string(original));
    }
    PathStat out;
    out.name = go_base(abs_path);
    out.size = st.st_size;
    out.mode = go_file_mode(st.st_mode);
    out.mtime = format_time(st.st_mtim);
    if (S_ISLNK(st.st_mode)) out.link_target = TRY(follow_symlinks_in_scope(abs_path));
    return out;
}

// Buffered writes of the tar to the caller's fd.
class FdSink {
  public:
    explicit FdSink(int fd) : fd_(fd) { buffer_.reserve(kSize); }

    Result<void> write(const void* data, size_t size) {
        auto* p = static_cast<const char*>(data);
        if (buffer_.size() + size > kSize) TRY(flush());
        if (size >= kSize) return write_all(p, size);
        buffer_.insert(buffer_.end(), p, p + size);
        return {};
    }
    Result<void> flush() {
        if (buffer_.empty()) return {};
        auto result = write_all(buffer_.data(), buffer_.size());
        buffer_.clear();
        return result;
    }
    std::optional<Error> error;  // the first write error, for the libarchive callback

  private:
    static constexpr size_t kSize = 1 << 16;
    Result<void> write_all(const char* p, size_t size) {
        while (size > 0) {
            ssize_t n = ::write(fd_, p, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail_errno("write archive");
            }
            p += n;
            size -= static_cast<size_t>(n);
        }
        return {};
    }
    int fd_;
    std::vector<char> buffer_;
};

la_ssize_t sink_write(archive*, void* data, const void* buffer, size_t size) {
    auto* sink = static_cast<FdSink*>(data);
    if (sink->error) return -1;
    if (auto written = sink->write(buffer, size); !written) {
        sink->error = std::move(written).error();
        return -1;
    }
    return static_cast<la_ssize_t>(size);
}

int sink_close(archive*, void* data) {
    auto* sink = static_cast<FdSink*>(data);
    if (sink->error) return ARCHIVE_FATAL;
    if (auto flushed = sink->flush(); !flushed) {
        sink->error = std::move(flushed).error();
        return ARCHIVE_FATAL;
    }
    return ARCHIVE_OK;
}

// Tars files by their paths inside the chroot, as moby's tarAppender does: whole-second mtimes,
// security.capability as the only xattr, later names of a multiply linked file as hardlinks,
// sockets left out.
class TarWriter {
  public:
    // `names`: user and group names for the headers (docker cp's), or none (export).
    static Result<std::unique_ptr<TarWriter>> open(int out_fd, const HostFds& host,
                                                   const IdNames* names = nullptr) {
        auto writer = std::unique_ptr<TarWriter>(new TarWriter(out_fd, host, names));
        archive* a = writer->archive_.get();
        if (a == nullptr || !writer->entry_)
            return fail(ErrorKind::Internal, "libarchive: out of memory");
        archive_write_set_format_pax_restricted(a);
        if (archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
            return fail(writer->archive_error("libarchive"));
        archive_write_set_bytes_per_block(a, 0);  // FdSink batches; end after the zero blocks
        if (archive_write_open(a, &writer->sink_, nullptr, sink_write, sink_close) != ARCHIVE_OK)
            return fail(writer->archive_error("libarchive"));
        return writer;
    }

    // Adds the file at `path` under `name`, and a directory's contents below "name/".
    Result<void> add_tree(const std::string& path, const std::string& name) {
        struct stat st {};
        if (::lstat(path.c_str(), &st) < 0) return fail_errno("stat " + path);
        TRY(add(path, name, st));
        if (S_ISDIR(st.st_mode)) TRY(add_children(path, name + "/"));
        return {};
    }

    // Adds what the directory at `path` holds, each named `prefix` + its name, recursively.
    Result<void> add_children(const std::string& path, const std::string& prefix) {
        std::vector<std::string> names;
        {
            int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) return fail_errno("open " + path);
            std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
            if (!dir) {
                ::close(fd);
                return fail_errno("opendir " + path);
            }
            while (auto* entry = ::readdir(dir.get())) {
                std::string_view n = entry->d_name;
                if (n != "." && n != "..") names.emplace_back(n);
            }
        }
        std::sort(names.begin(), names.end());  // what Go's WalkDir gives
        std::string base = path.ends_with('/') ? path : path + "/";
        for (const auto& n : names) {
            std::string child = base + n;
            struct stat st {};
            if (::lstat(child.c_str(), &st) < 0) {
                if (errno == ENOENT) continue;  // removed meanwhile by the running container
                return fail_errno("stat " + child);
            }
            TRY(add(child, prefix + n, st));
            if (S_ISDIR(st.st_mode)) TRY(add_children(child, prefix + n + "/"));
        }
        return {};
    }

    Result<void> finish() {
        if (archive_write_close(archive_.get()) != ARCHIVE_OK) {
            if (sink_.error) return fail(std::move(*sink_.error));
            return fail(archive_error("finish archive"));
        }
        return {};
    }

  private:
    TarWriter(int out_fd, const HostFds& host, const IdNames* names)
        : sink_(out_fd),
          archive_(archive_write_new()),
          entry_(archive_entry_new()),
          host_(host),
          names_(names) {}

    Error archive_error(const std::string& what) {
        if (sink_.error) return *sink_.error;
        const char* text = archive_error_string(archive_.get());
        return Error(ErrorKind::Internal,
                     what + ": " + (text != nullptr ? text : "libarchive error"));
    }

    Result<void> write_header(const std::string& name) {
        if (archive_write_header(archive_.get(), entry_.get()) < ARCHIVE_WARN)
            return fail(archive_error("write header of " + name));
        return {};
    }

    Result<void> add(const std::string& path, const std::string& name, const struct stat& st) {
        if (S_ISSOCK(st.st_mode)) return {};  // tar has no sockets; docker skips them
        archive_entry* e = entry_.get();
        archive_entry_clear(e);
        archive_entry_copy_pathname(e, S_ISDIR(st.st_mode) ? (name + "/").c_str() : name.c_str());
        archive_entry_set_uid(e, st.st_uid);
        archive_entry_set_gid(e, st.st_gid);
        if (names_) {
            if (auto it = names_->users.find(st.st_uid); it != names_->users.end())
                archive_entry_set_uname(e, it->second.c_str());
            if (auto it = names_->groups.find(st.st_gid); it != names_->groups.end())
                archive_entry_set_gname(e, it->second.c_str());
        }
        archive_entry_set_perm(e, st.st_mode & 07777);
        archive_entry_set_mtime(e, st.st_mtim.tv_sec, 0);
        if (!S_ISLNK(st.st_mode)) {
            char cap[256];
            ssize_t n = ::lgetxattr(path.c_str(), "security.capability", cap, sizeof cap);
            if (n > 0) archive_entry_xattr_add_entry(e, "security.capability", cap, size_t(n));
        }
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
            auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, name);
            if (!first) {
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_copy_hardlink(e, it->second.c_str());
                archive_entry_set_size(e, 0);
                return write_header(name);
            }
        }
        switch (st.st_mode & S_IFMT) {
            case S_IFDIR:
                archive_entry_set_filetype(e, AE_IFDIR);
                return write_header(name);
            case S_IFREG:
                return add_file(path, name, st);
            case S_IFLNK: {
                std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
                for (;;) {
                    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
                    if (n < 0) return fail_errno("readlink " + path);
                    if (static_cast<size_t>(n) < target.size()) {
                        target.resize(static_cast<size_t>(n));
                        break;
                    }
                    target.resize(target.size() * 2);
                }
                archive_entry_set_filetype(e, AE_IFLNK);
                archive_entry_copy_symlink(e, target.c_str());
                return write_header(name);
            }
            case S_IFCHR:
            case S_IFBLK:
                archive_entry_set_filetype(e, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
                archive_entry_set_rdev(e, st.st_rdev);
                return write_header(name);
            case S_IFIFO:
                archive_entry_set_filetype(e, AE_IFIFO);
                return write_header(name);
            default:
                return {};
        }
    }

    Result<void> add_file(const std::string& path, const std::string& name, const struct stat& st) {
        // A file the running container swapped for a FIFO or a device meanwhile is left out,
        // never opened for reading (its open could hang, or act); the check and the read are on
        // one inode, reopened through our /proc.
        UniqueFd found(::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!found) return fail_errno("open " + path);
        struct stat now {};
        if (::fstat(found.get(), &now) < 0) return fail_errno("stat " + path);
        if (!S_ISREG(now.st_mode)) return {};
        UniqueFd file(::openat(host_.proc_fds, std::to_string(found.get()).c_str(),
                               O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!file) return fail_errno("open " + path);
        int fd = file.get();
        archive_entry* e = entry_.get();
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, st.st_size);
        TRY(write_header(name));
        // Exactly the size announced: a file shrinking underneath (a live container) is padded
        // with zeros, one growing is cut, so the stream stays a valid tar.
        std::vector<char> buffer(1 << 16);
        int64_t left = st.st_size;
        while (left > 0) {
            ssize_t n = ::read(fd, buffer.data(), std::min<int64_t>(left, int64_t(buffer.size())));
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail_errno("read " + path);
            }
            if (n == 0) {
                std::fill(buffer.begin(), buffer.end(), 0);
                n = static_cast<ssize_t>(std::min<int64_t>(left, int64_t(buffer.size())));
            }
            if (archive_write_data(archive_.get(), buffer.data(), size_t(n)) < 0)
                return fail(archive_error("write " + name));
            left -= n;
        }
        return {};
    }

    FdSink sink_;
    std::unique_ptr<archive, ArchiveWriteFree> archive_;
    std::unique_ptr<archive_entry, EntryFree> entry_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
    HostFds host_;
    const IdNames* names_;
};

// ---- extraction ----

// A reader with only the decompressors built into libarchive: one falling back to an external
// program would run a binary of the container's (we are chrooted into it).
std::unique_ptr<archive, ArchiveReadFree> new_tar_reader() {
    std::unique_ptr<archive, ArchiveReadFree> a(archive_read_new());
    if (!a) return a;
    archive_read_support_format_tar(a.get());
    using Support = int (*)(archive*);
    for (Support support : {archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
                            archive_read_support_filter_xz, archive_read_support_filter_zstd}) {
        std::unique_ptr<archive, ArchiveReadFree> probe(archive_read_new());
        if (probe && support(probe.get()) == ARCHIVE_OK) support(a.get());
    }
    return a;
}

class Extractor {
  public:
    Extractor(archive* a, image::TreeWriter& writer, const RootResolver& resolver,
              const ExtractOptions& options, std::optional<std::pair<uid_t, gid_t>> owner,
              std::string dest, const HostFds& host)
        : archive_(a),
          writer_(writer),
          resolver_(resolver),
          options_(options),
          owner_(owner),
          dest_(std::move(dest)),
          host_(host) {}

    Error archive_error(std::string_view what) {
        const char* text = archive_error_string(archive_);
        return Error(ErrorKind::InvalidArgument,
                     std::string(what) + ": " + (text != nullptr ? text : "unknown error"));
    }

    Result<void> apply(archive_entry* entry) {
        const char* raw = archive_entry_pathname(entry);
        std::string name = raw != nullptr ? raw : "";
        auto cleaned = image::clean_layer_path(name);
        if (!cleaned)
            return fail(ErrorKind::InvalidArgument, "invalid entry name \"" + name + "\"");
        if (cleaned->empty()) return {};  // the destination itself

        image::TreeEntry tree;
        tree.path = *cleaned;
        TRY_CTX(image::read_entry_metadata(entry, tree, xattrs_), "\"" + name + "\"");
        if (owner_) {
            tree.uid = owner_->first;
            tree.gid = owner_->second;
        }

        std::string hardlink;
        if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
            auto t = image::clean_layer_path(target);
            if (!t || t->empty())
                return fail(ErrorKind::InvalidArgument,
                            "invalid hardlink \"" + name + "\" -> \"" + target + "\"");
            hardlink = std::move(*t);
            tree.type = image::EntryType::Hardlink;
            tree.link = hardlink;
        } else {
            switch (archive_entry_filetype(entry)) {
                case AE_IFREG:
                    tree.type = image::EntryType::Regular;
                    break;
                case AE_IFDIR:
                    tree.type = image::EntryType::Directory;
                    break;
                case AE_IFLNK: {
                    tree.type = image::EntryType::Symlink;
                    const char* target = archive_entry_symlink(entry);
                    tree.link = target != nullptr ? target : "";
                    break;
                }
                case AE_IFCHR:
                    tree.type = image::EntryType::CharDevice;
                    break;
                case AE_IFBLK:
                    tree.type = image::EntryType::BlockDevice;
                    break;
                case AE_IFIFO:
                    tree.type = image::EntryType::Fifo;
                    break;
                default:
                    return {};  // sockets and the like
            }
        }
        if (options_.no_overwrite_dir_non_dir) TRY(check_overwrite(*cleaned, tree.type, name));
        entry_size_ = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
        // What cannot be opened (symlinks, devices, FIFOs) gets its xattrs here, not from the
        // writer, whose way to them is a /proc path: in the chroot, the container's /proc.
        bool unopenable = tree.type != image::EntryType::Regular &&
                          tree.type != image::EntryType::Directory &&
                          tree.type != image::EntryType::Hardlink;
        std::span<const image::Xattr> xattrs = tree.xattrs;
        if (unopenable) tree.xattrs = {};
        TRY_CTX(writer_.add(tree, [this](int fd) { return copy_data(fd); }), "\"" + name + "\"");
        if (unopenable && !xattrs.empty())
            TRY_CTX(set_xattrs_unfollowed(*cleaned, tree.type, xattrs), "\"" + name + "\"");
        return {};
    }

  private:
    // As image::TreeWriter does for layers: xattrs the file system cannot hold are dropped, and
    // user.* ones, which Linux refuses on symlinks and devices.
    Result<void> set_xattrs_unfollowed(const std::string& path, image::EntryType type,
                                       std::span<const image::Xattr> xattrs) {
        auto fd = TRY(resolver_.open(path, O_PATH | O_NOFOLLOW));
        for (const auto& xattr : xattrs) {
            if (xattr.name.starts_with("trusted.overlay.")) continue;  // overlayfs's own
            auto set = set_xattr_at_fd(host_, fd.get(), xattr.name, xattr.value);
            if (set) continue;
            int err = set.error().sys_errno();
            if (err == ENOTSUP) continue;
            if (err == EPERM && xattr.name.starts_with("user.") &&
                type != image::EntryType::Regular && type != image::EntryType::Directory)
                continue;
            return set;
        }
        return {};
    }

    Result<void> check_overwrite(const std::string& path, image::EntryType type,
                                 const std::string& name) {
        auto existing = resolver_.open(path, O_PATH | O_NOFOLLOW);
        if (!existing) return {};  // nothing there (or not reachable: the writer will say)
        struct stat st {};
        if (::fstat(existing->get(), &st) < 0) return fail_errno("stat " + path);
        bool is_dir = type == image::EntryType::Directory;
        if (S_ISDIR(st.st_mode) && !is_dir)
            return fail(ErrorKind::InvalidArgument, "cannot overwrite directory \"" + name +
                                                        "\" with non-directory \"" + dest_ + "\"");
        if (!S_ISDIR(st.st_mode) && is_dir)
            return fail(ErrorKind::InvalidArgument, "cannot overwrite non-directory \"" + name +
                                                        "\" with directory \"" + dest_ + "\"");
        return {};
    }

    Result<void> copy_data(int fd) {
        return image::copy_entry_data(archive_, fd, entry_size_, [this](std::string_view what) {
            return archive_error(what);
        });
    }

    archive* archive_;
    image::TreeWriter& writer_;
    const RootResolver& resolver_;
    const ExtractOptions& options_;
    std::optional<std::pair<uid_t, gid_t>> owner_;
    std::string dest_;
    int64_t entry_size_ = 0;
    std::vector<image::Xattr> xattrs_;
    HostFds host_;
};

Result<void> extract_in_root(std::string_view path, int in_fd, const ExtractOptions& options,
                             const std::string& container, const HostFds& host) {
    // All symlinks followed, the last one too: extracting "into" a link to a directory works.
    std::string abs = clean_container_path(path);
    int fd = ::open(abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return fail(ErrorKind::NotFound, not_found_message(path, container));
        if (errno == ENOTDIR)
            return fail(ErrorKind::InvalidArgument, "extraction point is not a directory");
        return fail_errno("open " + std::string(path));
    }
    UniqueFd dest(fd);
    std::optional<std::pair<uid_t, gid_t>> owner;
    if (options.copy_uid_gid && !options.container_user.empty())
        owner = TRY(resolve_user_in_container(host, options.container_user));

    auto writer =
        TRY(image::TreeWriter::open(abs, {.preserve_ownership = true, .allow_device_nodes = true}));
    RootResolver resolver(dest.get());
    auto a = new_tar_reader();
    if (!a) return fail(ErrorKind::Internal, "libarchive: out of memory");
    Extractor extractor(a.get(), writer, resolver, options, owner, abs, host);
    if (archive_read_open_fd(a.get(), in_fd, 1 << 16) != ARCHIVE_OK)
        return fail(extractor.archive_error("read archive"));
    for (;;) {
        archive_entry* entry = nullptr;
        int rc = archive_read_next_header(a.get(), &entry);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return fail(extractor.archive_error("read archive"));
        TRY(extractor.apply(entry));
    }
    TRY(writer.finish());
    return {};
}

ContainerFsView plain_view(const std::string& rootfs) {
    return ContainerFsView{.rootfs = rootfs, .binds = {}, .container = {}};
}

}  // namespace

uint32_t go_file_mode(uint32_t st_mode) {
    constexpr uint32_t kDir = 1u << 31, kSymlink = 1u << 27, kDevice = 1u << 26,
                       kNamedPipe = 1u << 25, kSocket = 1u << 24, kSetuid = 1u << 23,
                       kSetgid = 1u << 22, kCharDevice = 1u << 21, kSticky = 1u << 20;
    uint32_t mode = st_mode & 0777;
    switch (st_mode & S_IFMT) {
        case S_IFBLK:
            mode |= kDevice;
            break;
        case S_IFCHR:
            mode |= kDevice | kCharDevice;
            break;
        case S_IFDIR:
            mode |= kDir;
            break;
        case S_IFIFO:
            mode |= kNamedPipe;
            break;
        case S_IFLNK:
            mode |= kSymlink;
            break;
        case S_IFSOCK:
            mode |= kSocket;
            break;
        default:
            break;
    }
    if (st_mode & S_ISUID) mode |= kSetuid;
    if (st_mode & S_ISGID) mode |= kSetgid;
    if (st_mode & S_ISVTX) mode |= kSticky;
    return mode;
}

std::string encode_path_stat(const PathStat& stat) {
    Json j = {{"name", stat.name},
              {"size", stat.size},
              {"mode", stat.mode},
              {"mtime", stat.mtime},
              {"linkTarget", stat.link_target}};
    // Names are bytes: invalid UTF-8 is replaced rather than thrown on.
    return base64_encode(j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string clean_container_path(std::string_view path) {
    // filepath.Clean of the path taken from the root (a relative one cannot climb above it).
    // Appended rather than `"/" + std::string(path)`: g++ 12 at -O3 warns falsely on the latter
    // (-Wrestrict, GCC bug 105651), which -Werror builds would fail on.
    std::string rooted = "/";
    rooted += path;
    std::string cleaned = clean_path(rooted);
    if (!specifies_current_dir(cleaned) && specifies_current_dir(path)) {
        if (!cleaned.ends_with('/')) cleaned += '/';
        cleaned += '.';
    }
    if (!cleaned.ends_with('/') && path.ends_with('/')) cleaned += '/';
    return cleaned;
}

Result<PathStat> stat_container_path(const ContainerFsView& view, std::string_view path) {
    PathStat out;
    std::string abs = clean_container_path(path);
    TRY(run_in_container_fs(view, "C", [&](const HostFds&) -> Result<void> {
        out = TRY(stat_in_root(abs, path, view.container));
        return {};
    }));
    return out;
}

Result<PathStat> stat_container_path(const std::string& rootfs, std::string_view path) {
    return stat_container_path(plain_view(rootfs), path);
}

Result<void> write_container_archive(const ContainerFsView& view, std::string_view path,
                                     int out_fd) {
    std::string abs = clean_container_path(path);
    return run_in_container_fs(view, "C.UTF-8", [&](const HostFds& host) -> Result<void> {
        auto stat = TRY(stat_in_root(abs, path, view.container));
        IdNames names = read_id_names(host);
        auto writer = TRY(TarWriter::open(out_fd, host, &names));
        bool is_dir = (stat.mode & (1u << 31)) != 0;
        if (!is_dir) {
            // One entry, named by the base name; a final symlink stays a link.
            TRY(writer->add_tree(abs, go_base(abs)));
        } else {
            // The directory itself under its base name ("." for ".../.", "" for "/"), then its
            // contents below that name. "dir/." reaches through a final symlink, like "dir/".
            std::string walk_root = (abs.ends_with('/') ? abs : abs + "/") + ".";
            std::string rebase = go_base(abs);
            if (rebase == "/") rebase.clear();
            struct stat st {};
            if (::stat(walk_root.c_str(), &st) < 0) return fail_errno("stat " + std::string(path));
            TRY(writer->add_tree(walk_root, rebase));
        }
        return writer->finish();
    });
}

Result<void> write_container_archive(const std::string& rootfs, std::string_view path, int out_fd) {
    return write_container_archive(plain_view(rootfs), path, out_fd);
}

Result<void> extract_into_container(const ContainerFsView& view, std::string_view path, int in_fd,
                                    const ExtractOptions& options) {
    return run_in_container_fs(view, "C", [&](const HostFds& host) -> Result<void> {
        return extract_in_root(path, in_fd, options, view.container, host);
    });
}

Result<void> extract_into_container(const std::string& rootfs, std::string_view path, int in_fd,
                                    bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                    std::string_view container_user) {
    ExtractOptions options{.no_overwrite_dir_non_dir = no_overwrite_dir_non_dir,
                           .copy_uid_gid = copy_uid_gid,
                           .container_user = std::string(container_user)};
    return extract_into_container(plain_view(rootfs), path, in_fd, options);
}

Result<void> export_container(const std::string& rootfs, int out_fd) {
    return run_in_container_fs(plain_view(rootfs), "C.UTF-8",
                               [&](const HostFds& host) -> Result<void> {
                                   auto writer = TRY(TarWriter::open(out_fd, host));
                                   TRY(writer->add_children("/", ""));
                                   return writer->finish();
                               });
}

}  // namespace berth::views
