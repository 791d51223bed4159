// Test helpers for layer tests (header-only, included by *_test.cpp only): temp dirs, a tar builder
// that writes whatever it is told (hostile names included), compression, and tree inspection.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "base/test_support.h"
#include "base/unique_fd.h"

namespace berth::image::testing {

using berth::TempDir;  // the unit tests' shared fixture (base/test_support.h)

struct EntrySpec {
    mode_t perm = 0644;
    int64_t uid = 0;
    int64_t gid = 0;
    time_t mtime = 1600000000;
    long mtime_nsec = 0;
    std::vector<std::pair<std::string, std::string>> xattrs;
};

// Builds a pax tar in memory with libarchive's writer, which writes names as given: "../x",
// "/abs", links to anywhere.
class TarBuilder {
  public:
    TarBuilder() : archive_(archive_write_new()) {
        archive_write_set_format_pax(archive_);
        archive_write_set_bytes_per_block(archive_, 0);
        archive_write_open(archive_, &data_, nullptr, &TarBuilder::append, nullptr);
    }
    ~TarBuilder() { archive_write_free(archive_); }
    TarBuilder(const TarBuilder&) = delete;
    TarBuilder& operator=(const TarBuilder&) = delete;

    TarBuilder& file(const std::string& name, std::string_view content, EntrySpec spec = {}) {
        return add(
            name, AE_IFREG, spec, content.size(), [&](archive_entry*) {}, content);
    }
    TarBuilder& dir(const std::string& name, EntrySpec spec = {}) {
        if (spec.perm == 0644) spec.perm = 0755;
        return add(name, AE_IFDIR, spec, 0, [](archive_entry*) {});
    }
    TarBuilder& symlink(const std::string& name, const std::string& target, EntrySpec spec = {}) {
        spec.perm = 0777;
        return add(name, AE_IFLNK, spec, 0,
                   [&](archive_entry* e) { archive_entry_copy_symlink(e, target.c_str()); });
    }
    TarBuilder& hardlink(const std::string& name, const std::string& target, EntrySpec spec = {}) {
        return add(name, AE_IFREG, spec, 0,
                   [&](archive_entry* e) { archive_entry_copy_hardlink(e, target.c_str()); });
    }
    TarBuilder& device(const std::string& name, bool block, unsigned major, unsigned minor,
                       EntrySpec spec = {}) {
        return add(name, block ? AE_IFBLK : AE_IFCHR, spec, 0,
                   [&](archive_entry* e) { archive_entry_set_rdev(e, makedev(major, minor)); });
    }
    TarBuilder& fifo(const std::string& name, EntrySpec spec = {}) {
        return add(name, AE_IFIFO, spec, 0, [](archive_entry*) {});
    }

    // The finished tar (the writer is closed: nothing may be added after).
    std::string finish() {
        archive_write_close(archive_);
        return data_;
    }

  private:
    template <typename Extra>
    TarBuilder& add(const std::string& name, unsigned type, const EntrySpec& spec, size_t size,
                    Extra extra, std::string_view content = {}) {
        archive_entry* e = archive_entry_new();
        archive_entry_copy_pathname(e, name.c_str());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, spec.perm);
        archive_entry_set_uid(e, spec.uid);
        archive_entry_set_gid(e, spec.gid);
        archive_entry_set_mtime(e, spec.mtime, spec.mtime_nsec);
        archive_entry_set_size(e, static_cast<la_int64_t>(size));
        for (const auto& [key, value] : spec.xattrs)
            archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
        extra(e);
        if (archive_write_header(archive_, e) < ARCHIVE_WARN) std::abort();
        if (!content.empty()) archive_write_data(archive_, content.data(), content.size());
        archive_entry_free(e);
        return *this;
    }

    static la_ssize_t append(archive*, void* data, const void* buffer, size_t size) {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
    }

    archive* archive_;
    std::string data_;
};

// One hand-made ustar header block, for what libarchive's writer refuses (an empty name).
inline std::string ustar_header(std::string_view name, char type, size_t size = 0) {
    std::string block(512, '\0');
    std::memcpy(block.data(), name.data(), std::min<size_t>(name.size(), 100));
    auto octal = [&](size_t offset, size_t width, unsigned long long value) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%0*llo", static_cast<int>(width - 1), value);
        std::memcpy(block.data() + offset, buf, width - 1);
    };
    octal(100, 8, 0644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, size);
    octal(136, 12, 1600000000);
    block[156] = type;
    std::memcpy(block.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(block.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : block)
        sum += c;
    std::snprintf(block.data() + 148, 8, "%06o", sum);
    return block;
}

inline std::string gzip(std::string_view data) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

inline std::string zstd(std::string_view data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
    out.resize(n);
    return out;
}

// An fd at offset 0 of a memory file holding `data`.
inline UniqueFd memory_fd(std::string_view data) {
    UniqueFd fd(::memfd_create("layer", MFD_CLOEXEC));
    if (!fd || !write_all(fd.get(), data) || ::lseek(fd.get(), 0, SEEK_SET) != 0) std::abort();
    return fd;
}

// Names in a directory (not recursive), sorted.
inline std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return names;
    while (auto* e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

inline struct stat lstat_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) st.st_mode = 0;
    return st;
}

inline std::string xattr_of(const std::string& path, const char* name) {
    char buf[256];
    ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

inline std::string read_link(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

}  // namespace berth::image::testing
