#include "image/layer_diff.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "image/hashing_writer.h"
#include "image/scoped_locale.h"
#include "image/whiteout.h"

namespace berth::image {

namespace {

constexpr size_t kBufferSize = 1 << 20;

la_ssize_t write_callback(archive*, void* data, const void* buffer, size_t size) {
    // A failed write stops the archive; write_layer_tar() then reports the writer's own error.
    if (!static_cast<HashingWriter*>(data)->write(buffer, size)) return -1;
    return static_cast<la_ssize_t>(size);
}

struct ArchiveWriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

enum class ItemKind { Plain, Whiteout, OpaqueMarker };

// One tar entry to come out of a directory: a file of it, or a marker standing for one.
struct Item {
    std::string tar_name;  // the basename in the tar
    std::string name;      // the file's own basename (the opaque marker: none)
    struct stat st {};
    ItemKind kind = ItemKind::Plain;
};

bool is_whiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == 0;
}

// xattrs worth keeping in a layer, sorted by name: user.* and file capabilities. overlayfs' own
// (trusted.overlay.*, or user.overlay.* on a userxattr mount) describe this mount, not the files.
bool keep_xattr(std::string_view name) {
    if (name.starts_with("user.overlay.")) return false;
    return name.starts_with("user.") || name == "security.capability";
}

std::string proc_path(int dir_fd, const std::string& name) {
    return "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
}

// Reads the xattrs of an open file (fd >= 0) or, without following it, of dir_fd/name.
Result<std::map<std::string, std::string>> read_xattrs(int fd, int dir_fd,
                                                       const std::string& name) {
    std::map<std::string, std::string> out;
    std::string path = fd >= 0 ? std::string() : proc_path(dir_fd, name);
    auto list = [&](char* buf, size_t size) {
        return fd >= 0 ? ::flistxattr(fd, buf, size) : ::llistxattr(path.c_str(), buf, size);
    };
    auto get = [&](const char* key, void* buf, size_t size) {
        return fd >= 0 ? ::fgetxattr(fd, key, buf, size)
                       : ::lgetxattr(path.c_str(), key, buf, size);
    };
    ssize_t n = list(nullptr, 0);
    if (n < 0) {
        if (errno == ENOTSUP) return out;
        return fail_errno("list xattrs of " + name);
    }
    if (n == 0) return out;
    std::string names(static_cast<size_t>(n), '\0');
    n = list(names.data(), names.size());
    if (n < 0) return fail_errno("list xattrs of " + name);
    names.resize(static_cast<size_t>(n));
    for (size_t pos = 0; pos < names.size();) {
        std::string key(names.c_str() + pos);
        pos += key.size() + 1;
        if (!keep_xattr(key)) continue;
        ssize_t size = get(key.c_str(), nullptr, 0);
        if (size < 0) {
            if (errno == ENODATA) continue;  // removed meanwhile
            return fail_errno("read xattr " + key + " of " + name);
        }
        std::string value(static_cast<size_t>(size), '\0');
        size = get(key.c_str(), value.data(), value.size());
        if (size < 0) return fail_errno("read xattr " + key + " of " + name);
        value.resize(static_cast<size_t>(size));
        out.emplace(std::move(key), std::move(value));
    }
    return out;
}

bool is_opaque(int dir_fd) {
    char value[2];
    ssize_t n = ::fgetxattr(dir_fd, kOverlayOpaqueXattr, value, sizeof value);
    return n == 1 && value[0] == 'y';
}

class TreeArchiver {
  public:
    TreeArchiver(archive* a, dev_t root_dev, const LeftOutPaths& left_out)
        : archive_(a),
          root_dev_(root_dev),
          left_out_(left_out),
          entry_(archive_entry_new()),
          buffer_(std::make_unique_for_overwrite<char[]>(kBufferSize)) {}

    Result<void> walk(int dir_fd, const std::string& prefix) {
        std::vector<Item> items = TRY(list(dir_fd, prefix));
        for (const Item& item : items)
            TRY(emit(dir_fd, prefix, item));
        return {};
    }

  private:
    Result<std::vector<Item>> list(int dir_fd, const std::string& prefix) {
        int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return fail_errno("open " + display(prefix));
        std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
        if (!dir) {
            ::close(fd);
            return fail_errno("opendir " + display(prefix));
        }
        std::vector<Item> items;
        while (auto* child = ::readdir(dir.get())) {
            std::string_view name = child->d_name;
            if (name == "." || name == "..") continue;
            if (!left_out_.empty() && left_out_.contains(prefix + std::string(name))) continue;
            Item item;
            item.name = name;
            if (::fstatat(dir_fd, child->d_name, &item.st, AT_SYMLINK_NOFOLLOW) < 0)
                return fail_errno("stat " + prefix + item.name);
            if (S_ISSOCK(item.st.st_mode)) continue;  // tar has no sockets; docker skips them
            if (is_whiteout(item.st)) {
                item.kind = ItemKind::Whiteout;
                item.tar_name = std::string(kWhiteoutPrefix) + item.name;
            } else if (name.starts_with(kWhiteoutPrefix)) {
                return fail(ErrorKind::InvalidArgument,
                            "\"" + prefix + item.name +
                                "\": a file named .wh.* would read back as a whiteout");
            } else {
                item.tar_name = item.name;
            }
            items.push_back(std::move(item));
        }
        if (is_opaque(dir_fd)) {
            Item marker;
            marker.tar_name = kOpaqueWhiteout;
            if (::fstat(dir_fd, &marker.st) < 0) return fail_errno("stat " + display(prefix));
            marker.kind = ItemKind::OpaqueMarker;
            items.push_back(std::move(marker));
        }
        // Byte order of the names in the tar: the same tree always gives the same stream.
        std::sort(items.begin(), items.end(),
                  [](const Item& a, const Item& b) { return a.tar_name < b.tar_name; });
        return items;
    }

    static std::string display(const std::string& prefix) { return prefix.empty() ? "." : prefix; }

    Error archive_error(const std::string& what) {
        const char* text = archive_error_string(archive_);
        return Error(ErrorKind::Internal,
                     what + ": " + (text != nullptr ? text : "libarchive error"));
    }

    Result<void> write_header(const std::string& name) {
        // Warnings (a name that is not valid UTF-8, written raw with hdrcharset=BINARY) are fine.
        if (archive_write_header(archive_, entry_.get()) < ARCHIVE_WARN)
            return fail(archive_error("write header of " + name));
        return {};
    }

    // The metadata every entry carries. No atime, ctime or user/group names: they would make the
    // diffID depend on more than the tree. Whole seconds, as docker writes them: otherwise an
    // entry's time precision would depend on whether it happens to need a pax header.
    void set_common(const std::string& path, const struct stat& st) {
        archive_entry_clear(entry_.get());
        archive_entry_copy_pathname(entry_.get(), path.c_str());
        archive_entry_set_uid(entry_.get(), st.st_uid);
        archive_entry_set_gid(entry_.get(), st.st_gid);
        archive_entry_set_perm(entry_.get(), st.st_mode & 07777);
        archive_entry_set_mtime(entry_.get(), st.st_mtim.tv_sec, 0);
    }

    void set_xattrs(const std::map<std::string, std::string>& xattrs) {
        for (const auto& [key, value] : xattrs)
            archive_entry_xattr_add_entry(entry_.get(), key.c_str(), value.data(), value.size());
    }

    Result<void> emit(int dir_fd, const std::string& prefix, const Item& item) {
        std::string path = prefix + item.tar_name;
        const struct stat& st = item.st;
        if (item.kind != ItemKind::Plain) {
            // Whiteout and opaque markers: empty files, mode 0 (what overlayfs gives whiteouts).
            set_common(path, st);
            archive_entry_set_filetype(entry_.get(), AE_IFREG);
            archive_entry_set_perm(entry_.get(), 0);
            archive_entry_set_size(entry_.get(), 0);
            if (item.kind == ItemKind::OpaqueMarker) {
                archive_entry_set_uid(entry_.get(), 0);
                archive_entry_set_gid(entry_.get(), 0);
            }
            return write_header(path);
        }

        if (S_ISDIR(st.st_mode)) {
            int fd = ::openat(dir_fd, item.name.c_str(),
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) return fail_errno("open " + path);
            UniqueFd dir(fd);
            auto xattrs = TRY(read_xattrs(fd, dir_fd, path));
            set_common(path + "/", st);
            archive_entry_set_filetype(entry_.get(), AE_IFDIR);
            set_xattrs(xattrs);
            TRY(write_header(path));
            // Another file system mounted here is not part of this tree.
            if (st.st_dev != root_dev_) return {};
            return walk(fd, path + "/");
        }

        // Later names of a file seen before become hardlinks to the first one.
        if (st.st_nlink > 1) {
            auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, path);
            if (!first) {
                set_common(path, st);
                archive_entry_set_filetype(entry_.get(), st.st_mode & S_IFMT);
                archive_entry_copy_hardlink(entry_.get(), it->second.c_str());
                archive_entry_set_size(entry_.get(), 0);
                return write_header(path);
            }
        }

        if (S_ISREG(st.st_mode)) return emit_file(dir_fd, path, item);

        auto xattrs = TRY(read_xattrs(-1, dir_fd, item.name));
        set_common(path, st);
        set_xattrs(xattrs);
        if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, '\0');
            for (;;) {
                ssize_t n = ::readlinkat(dir_fd, item.name.c_str(), target.data(), target.size());
                if (n < 0) return fail_errno("readlink " + path);
                if (static_cast<size_t>(n) < target.size()) {
                    target.resize(static_cast<size_t>(n));
                    break;
                }
                target.resize(target.size() * 2);  // grew meanwhile
            }
            archive_entry_set_filetype(entry_.get(), AE_IFLNK);
            archive_entry_copy_symlink(entry_.get(), target.c_str());
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            archive_entry_set_filetype(entry_.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
            archive_entry_set_rdev(entry_.get(), st.st_rdev);
        } else if (S_ISFIFO(st.st_mode)) {
            archive_entry_set_filetype(entry_.get(), AE_IFIFO);
        } else {
            return fail(ErrorKind::Unsupported, path + ": unsupported file type");
        }
        return write_header(path);
    }

    Result<void> emit_file(int dir_fd, const std::string& path, const Item& item) {
        int fd = ::openat(dir_fd, item.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return fail_errno("open " + path);
        UniqueFd file(fd);
        auto xattrs = TRY(read_xattrs(fd, dir_fd, path));
        set_common(path, item.st);
        archive_entry_set_filetype(entry_.get(), AE_IFREG);
        archive_entry_set_size(entry_.get(), item.st.st_size);
        set_xattrs(xattrs);
        TRY(write_header(path));
        // Exactly the size the header announced: a file that changes underneath is an error.
        uint64_t left = static_cast<uint64_t>(item.st.st_size);
        while (left > 0) {
            ssize_t n = ::read(fd, buffer_.get(), std::min<uint64_t>(left, kBufferSize));
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail_errno("read " + path);
            }
            if (n == 0)
                return fail(ErrorKind::Conflict, path + ": file shrank while being archived");
            if (archive_write_data(archive_, buffer_.get(), static_cast<size_t>(n)) < 0)
                return fail(archive_error("write data of " + path));
            left -= static_cast<uint64_t>(n);
        }
        return {};
    }

    archive* archive_;
    dev_t root_dev_;
    const LeftOutPaths& left_out_;
    std::unique_ptr<archive_entry, EntryFree> entry_;
    std::unique_ptr<char[]> buffer_;
    std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

Result<DiffResult> write_layer_tar(const std::string& dir, int out_fd,
                                   const LeftOutPaths& left_out) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + dir);
    UniqueFd root(fd);
    struct stat root_st {};
    if (::fstat(fd, &root_st) < 0) return fail_errno("stat " + dir);

    // Names are written as UTF-8 when they are, raw (hdrcharset=BINARY) when not.
    ScopedLocale locale("C.UTF-8");
    HashingWriter out(out_fd);  // outlives the archive, which may still write to it when freed
    std::unique_ptr<archive, ArchiveWriteFree> a(archive_write_new());
    if (!a) return fail(ErrorKind::Internal, "libarchive: out of memory");
    // ustar headers, and a pax header only where ustar cannot say it (long names, xattrs...).
    archive_write_set_format_pax_restricted(a.get());
    // xattrs as SCHILY.xattr.* only (what docker and Go write), not twice with LIBARCHIVE.xattr.*.
    if (archive_write_set_format_option(a.get(), "pax", "xattrheader", "SCHILY") != ARCHIVE_OK)
        return fail(ErrorKind::Internal,
                    std::string("libarchive: ") + archive_error_string(a.get()));
    // No blocking to 10 KiB records: the writer batches writes, and the tar ends after its two
    // zero blocks like docker's.
    archive_write_set_bytes_per_block(a.get(), 0);
    if (archive_write_open(a.get(), &out, nullptr, write_callback, nullptr) != ARCHIVE_OK)
        return fail(ErrorKind::Internal,
                    std::string("libarchive: ") + archive_error_string(a.get()));

    TreeArchiver archiver(a.get(), root_st.st_dev, left_out);
    auto walked = archiver.walk(fd, "");
    if (walked && archive_write_close(a.get()) != ARCHIVE_OK)
        walked =
            fail(ErrorKind::Internal, std::string("libarchive: ") + archive_error_string(a.get()));
    if (!walked) {
        out.discard();
        // A failed write shows up in libarchive as "write callback failed": report the cause.
        if (auto written = out.finish(); !written)
            return fail(std::move(written).error().context("write layer"));
        return fail(std::move(walked).error().context("layer of " + dir));
    }
    auto summary = TRY_CTX(out.finish(), "write layer");
    return DiffResult{summary.digest, summary.size};
}

}  // namespace berth::image
