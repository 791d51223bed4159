// libarchive, loaded on first use rather than when a program starts.
//
// libarchive links libxml2 and ICU (for formats berth never reads); loading them at start cost
// berthd about 1.4 MB of resident memory for as long as it runs, and every berth command their
// relocations. These definitions stand in for the libarchive functions berth calls: the first
// call dlopen()s libarchive, each function resolves its real counterpart once. archive.h declares
// every one of them, so a signature that drifts from the library's fails to compile.
//
// A libarchive function used anywhere in berth needs a line here; the link fails until it has one.
#include "image/libarchive_loader.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>

namespace {

// libarchive's SONAME has been libarchive.so.13 since version 3.0.
constexpr const char* kLibarchive = "libarchive.so.13";

[[noreturn]] void missing(const char* what) {
    // Nothing sensible can continue: libarchive is a hard dependency of the package.
    std::fprintf(stderr, "berth: cannot load %s: %s\n", what, ::dlerror());
    std::abort();
}

void* libarchive_handle() {
    static void* const handle = [] {
        void* loaded = ::dlopen(kLibarchive, RTLD_NOW | RTLD_LOCAL);
        if (loaded == nullptr) missing(kLibarchive);
        return loaded;
    }();
    return handle;
}

void* libarchive_symbol(const char* name) {
    void* symbol = ::dlsym(libarchive_handle(), name);
    if (symbol == nullptr) missing(name);
    return symbol;
}

// The real function behind one of the definitions below, resolved on its first call.
template <auto Function>
auto real(const char* name) {
    static const auto target = reinterpret_cast<decltype(Function)>(libarchive_symbol(name));
    return target;
}

}  // namespace

void berth::image::load_libarchive() {
    (void)libarchive_handle();
}

#define REAL(name) real<&name>(#name)

extern "C" {

// clang-format off
time_t archive_entry_atime(archive_entry*a) { return REAL(archive_entry_atime)(a); }
int archive_entry_atime_is_set(archive_entry*a) { return REAL(archive_entry_atime_is_set)(a); }
long archive_entry_atime_nsec(archive_entry*a) { return REAL(archive_entry_atime_nsec)(a); }
archive_entry* archive_entry_clear(archive_entry*a) { return REAL(archive_entry_clear)(a); }
void archive_entry_copy_hardlink(archive_entry*a, const char*b) { return REAL(archive_entry_copy_hardlink)(a, b); }
void archive_entry_copy_pathname(archive_entry*a, const char*b) { return REAL(archive_entry_copy_pathname)(a, b); }
void archive_entry_copy_symlink(archive_entry*a, const char*b) { return REAL(archive_entry_copy_symlink)(a, b); }
__LA_MODE_T archive_entry_filetype(archive_entry*a) { return REAL(archive_entry_filetype)(a); }
void archive_entry_free(archive_entry*a) { return REAL(archive_entry_free)(a); }
la_int64_t archive_entry_gid(archive_entry*a) { return REAL(archive_entry_gid)(a); }
const char* archive_entry_gname(archive_entry*a) { return REAL(archive_entry_gname)(a); }
const char* archive_entry_hardlink(archive_entry*a) { return REAL(archive_entry_hardlink)(a); }
time_t archive_entry_mtime(archive_entry*a) { return REAL(archive_entry_mtime)(a); }
long archive_entry_mtime_nsec(archive_entry*a) { return REAL(archive_entry_mtime_nsec)(a); }
archive_entry* archive_entry_new() { return REAL(archive_entry_new)(); }
const char* archive_entry_pathname(archive_entry*a) { return REAL(archive_entry_pathname)(a); }
__LA_MODE_T archive_entry_perm(archive_entry*a) { return REAL(archive_entry_perm)(a); }
dev_t archive_entry_rdev(archive_entry*a) { return REAL(archive_entry_rdev)(a); }
void archive_entry_set_filetype(archive_entry*a, unsigned int b) { return REAL(archive_entry_set_filetype)(a, b); }
void archive_entry_set_gid(archive_entry*a, la_int64_t b) { return REAL(archive_entry_set_gid)(a, b); }
void archive_entry_set_gname(archive_entry*a, const char*b) { return REAL(archive_entry_set_gname)(a, b); }
void archive_entry_set_hardlink(archive_entry*a, const char*b) { return REAL(archive_entry_set_hardlink)(a, b); }
void archive_entry_set_mtime(archive_entry*a, time_t b, long c) { return REAL(archive_entry_set_mtime)(a, b, c); }
void archive_entry_set_pathname(archive_entry*a, const char*b) { return REAL(archive_entry_set_pathname)(a, b); }
void archive_entry_set_perm(archive_entry*a, __LA_MODE_T b) { return REAL(archive_entry_set_perm)(a, b); }
void archive_entry_set_rdev(archive_entry*a, dev_t b) { return REAL(archive_entry_set_rdev)(a, b); }
void archive_entry_set_size(archive_entry*a, la_int64_t b) { return REAL(archive_entry_set_size)(a, b); }
void archive_entry_set_uid(archive_entry*a, la_int64_t b) { return REAL(archive_entry_set_uid)(a, b); }
void archive_entry_set_uname(archive_entry*a, const char*b) { return REAL(archive_entry_set_uname)(a, b); }
la_int64_t archive_entry_size(archive_entry*a) { return REAL(archive_entry_size)(a); }
int archive_entry_size_is_set(archive_entry*a) { return REAL(archive_entry_size_is_set)(a); }
const char* archive_entry_sourcepath(archive_entry*a) { return REAL(archive_entry_sourcepath)(a); }
const char* archive_entry_symlink(archive_entry*a) { return REAL(archive_entry_symlink)(a); }
la_int64_t archive_entry_uid(archive_entry*a) { return REAL(archive_entry_uid)(a); }
const char* archive_entry_uname(archive_entry*a) { return REAL(archive_entry_uname)(a); }
void archive_entry_xattr_add_entry(archive_entry*a, const char*b, const void*c, size_t d) { return REAL(archive_entry_xattr_add_entry)(a, b, c, d); }
int archive_entry_xattr_next(archive_entry*a, const char**b, const void**c, size_t*d) { return REAL(archive_entry_xattr_next)(a, b, c, d); }
int archive_entry_xattr_reset(archive_entry*a) { return REAL(archive_entry_xattr_reset)(a); }
int archive_errno(archive*a) { return REAL(archive_errno)(a); }
const char* archive_error_string(archive*a) { return REAL(archive_error_string)(a); }
la_ssize_t archive_read_data(archive*a, void*b, size_t c) { return REAL(archive_read_data)(a, b, c); }
int archive_read_data_block(archive*a, const void**b, size_t*c, la_int64_t*d) { return REAL(archive_read_data_block)(a, b, c, d); }
int archive_read_disk_descend(archive*a) { return REAL(archive_read_disk_descend)(a); }
archive* archive_read_disk_new() { return REAL(archive_read_disk_new)(); }
int archive_read_disk_open(archive*a, const char*b) { return REAL(archive_read_disk_open)(a, b); }
int archive_read_disk_set_standard_lookup(archive*a) { return REAL(archive_read_disk_set_standard_lookup)(a); }
int archive_read_disk_set_symlink_hybrid(archive*a) { return REAL(archive_read_disk_set_symlink_hybrid)(a); }
int archive_read_disk_set_symlink_physical(archive*a) { return REAL(archive_read_disk_set_symlink_physical)(a); }
int archive_read_free(archive*a) { return REAL(archive_read_free)(a); }
archive* archive_read_new() { return REAL(archive_read_new)(); }
int archive_read_next_header(archive*a, archive_entry**b) { return REAL(archive_read_next_header)(a, b); }
int archive_read_next_header2(archive*a, archive_entry*b) { return REAL(archive_read_next_header2)(a, b); }
int archive_read_open(archive*a, void*b, archive_open_callback*c, archive_read_callback*d, archive_close_callback*e) { return REAL(archive_read_open)(a, b, c, d, e); }
int archive_read_open_fd(archive*a, int b, size_t c) { return REAL(archive_read_open_fd)(a, b, c); }
int archive_read_open_memory(archive*a, const void*b, size_t c) { return REAL(archive_read_open_memory)(a, b, c); }
int archive_read_support_filter_all(archive*a) { return REAL(archive_read_support_filter_all)(a); }
int archive_read_support_filter_bzip2(archive*a) { return REAL(archive_read_support_filter_bzip2)(a); }
int archive_read_support_filter_gzip(archive*a) { return REAL(archive_read_support_filter_gzip)(a); }
int archive_read_support_filter_xz(archive*a) { return REAL(archive_read_support_filter_xz)(a); }
int archive_read_support_filter_zstd(archive*a) { return REAL(archive_read_support_filter_zstd)(a); }
int archive_read_support_format_gnutar(archive*a) { return REAL(archive_read_support_format_gnutar)(a); }
int archive_read_support_format_tar(archive*a) { return REAL(archive_read_support_format_tar)(a); }
int archive_write_close(archive*a) { return REAL(archive_write_close)(a); }
la_ssize_t archive_write_data(archive*a, const void*b, size_t c) { return REAL(archive_write_data)(a, b, c); }
la_ssize_t archive_write_data_block(archive*a, const void*b, size_t c, la_int64_t d) { return REAL(archive_write_data_block)(a, b, c, d); }
archive* archive_write_disk_new() { return REAL(archive_write_disk_new)(); }
int archive_write_disk_set_options(archive*a, int b) { return REAL(archive_write_disk_set_options)(a, b); }
int archive_write_finish_entry(archive*a) { return REAL(archive_write_finish_entry)(a); }
int archive_write_free(archive*a) { return REAL(archive_write_free)(a); }
int archive_write_header(archive*a, archive_entry*b) { return REAL(archive_write_header)(a, b); }
archive* archive_write_new() { return REAL(archive_write_new)(); }
int archive_write_open(archive*a, void*b, archive_open_callback*c, archive_write_callback*d, archive_close_callback*e) { return REAL(archive_write_open)(a, b, c, d, e); }
int archive_write_open_fd(archive*a, int b) { return REAL(archive_write_open_fd)(a, b); }
int archive_write_set_bytes_per_block(archive*a, int b) { return REAL(archive_write_set_bytes_per_block)(a, b); }
int archive_write_set_format_option(archive*a, const char*b, const char*c, const char*d) { return REAL(archive_write_set_format_option)(a, b, c, d); }
int archive_write_set_format_pax(archive*a) { return REAL(archive_write_set_format_pax)(a); }
int archive_write_set_format_pax_restricted(archive*a) { return REAL(archive_write_set_format_pax_restricted)(a); }
// clang-format on

// Variadic: formatted here, passed on as one string.
void archive_set_error(archive* a, int error, const char* format, ...) {
    char message[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(message, sizeof message, format, args);
    va_end(args);
    REAL(archive_set_error)(a, error, "%s", message);
}

}  // extern "C"
