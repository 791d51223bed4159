// Writing a directory tree, or the upper directory of an overlay mount, back into a layer tar.
//
// Overlayfs whiteouts (0:0 character devices) become ".wh.NAME" entries and opaque directories
// (xattr trusted.overlay.opaque="y") get a ".wh..wh..opq" entry, the reverse of unpack_layer.
// Output is deterministic for a given tree (entries sorted by path, PAX headers only where needed),
// so the same tree always gives the same diffID.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "base/digest.h"
#include "base/error.h"

namespace berth::image {

struct DiffResult {
    Digest diff_id;     // sha256 of the tar written
    uint64_t size = 0;  // bytes written
};

// Paths below a tree's root to leave out of its layer ("etc/hostname"; a directory goes with
// everything below it).
using LeftOutPaths = std::set<std::string, std::less<>>;

// Writes an uncompressed tar of everything under `dir` (not `dir` itself) to `out_fd`, but
// `left_out`.
Result<DiffResult> write_layer_tar(const std::string& dir, int out_fd,
                                   const LeftOutPaths& left_out = {});

}  // namespace berth::image
