#include "image/archive_entries.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace berth::image {
namespace {

Result<void> pwrite_all(int fd, const void* data, size_t size, off_t offset) {
    const auto* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd, p, size, offset);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("write");
        }
        p += n;
        size -= static_cast<size_t>(n);
        offset += n;
    }
    return {};
}

}  // namespace

Result<void> read_entry_metadata(archive_entry* entry, TreeEntry& out, std::vector<Xattr>& xattrs) {
    la_int64_t uid = archive_entry_uid(entry);
    la_int64_t gid = archive_entry_gid(entry);
    // (uid_t)-1 means "leave unchanged" to chown: not an id an archive can give.
    if (uid < 0 || uid >= 0xffffffffLL || gid < 0 || gid >= 0xffffffffLL)
        return fail(ErrorKind::InvalidArgument, "uid or gid out of range");
    out.uid = static_cast<uid_t>(uid);
    out.gid = static_cast<gid_t>(gid);
    out.mode = archive_entry_perm(entry) & 07777;
    out.rdev = archive_entry_rdev(entry);
    out.mtime = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
    out.atime = archive_entry_atime_is_set(entry)
                    ? timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)}
                    : out.mtime;
    xattrs.clear();
    if (archive_entry_xattr_reset(entry) > 0) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
            if (name == nullptr || *name == '\0') continue;
            xattrs.push_back({name, std::string(static_cast<const char*>(value), size)});
        }
    }
    out.xattrs = xattrs;
    return {};
}

Result<void> copy_entry_data(archive* a, int fd, int64_t size, const ArchiveErrorFn& error) {
    const void* block = nullptr;
    size_t length = 0;
    la_int64_t offset = 0;
    int64_t end = 0;
    for (;;) {
        int rc = archive_read_data_block(a, &block, &length, &offset);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return fail(error("read data"));
        if (length == 0) continue;
        TRY(pwrite_all(fd, block, length, offset));
        end = offset + static_cast<int64_t>(length);
    }
    if (end < size && ::ftruncate(fd, size) < 0) return fail_errno("truncate");
    return {};
}

}  // namespace berth::image
