// Tar entries read with libarchive, in TreeWriter's terms: shared by layer unpacking and by
// extraction into containers (docker cp).
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/tree_writer.h"

namespace berth::image {

// Fills `out` with the entry's owner, permission bits, device number, times and extended
// attributes. The attributes live in `xattrs` (reused between entries), which must outlive `out`.
// An owner that is not a valid id (negative, or (uid_t)-1, chown's "unchanged") is refused.
Result<void> read_entry_metadata(archive_entry* entry, TreeEntry& out, std::vector<Xattr>& xattrs);

// Describes libarchive's current error; "read data: <why>".
using ArchiveErrorFn = std::function<Error(std::string_view what)>;

// Writes the current entry's data to `fd` block by block at the blocks' offsets, so that a sparse
// file's holes stay holes; a trailing hole is made by truncating to the entry's `size`.
Result<void> copy_entry_data(archive* a, int fd, int64_t size, const ArchiveErrorFn& error);

}  // namespace berth::image
