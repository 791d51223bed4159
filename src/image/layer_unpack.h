// Unpacking one image layer (a tar stream, plain, gzip or zstd) into a directory of its own, the
// way an overlayfs snapshotter stores it, and safe against hostile layers.
//
// Whiteouts become overlayfs whiteouts: ".wh.NAME" -> a 0:0 character device NAME, and
// ".wh..wh..opq" -> the xattr trusted.overlay.opaque="y" on its directory. The digest of the
// uncompressed stream (the diffID) is computed on the way through.
//
// Hostile input can never create or change anything outside `target_dir`: entries with "..",
// absolute paths, paths through symlinks (even ones the layer itself made), hardlinks to targets
// outside, are resolved inside the target as if it were "/" or refused with a one-line error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "base/error.h"

namespace berth::image {

enum class Compression { None, Gzip, Zstd };

// Guesses the compression from the first bytes of a blob (magic numbers).
Compression detect_compression(std::string_view head);
std::string_view to_string(Compression compression);

struct UnpackOptions {
    // Character and block device nodes other than whiteouts. Docker creates them when run as root.
    bool allow_device_nodes = true;
    // chown entries to the uid/gid in the tar (needs CAP_CHOWN); otherwise files belong to the
    // caller.
    bool preserve_ownership = true;
};

struct UnpackResult {
    Digest diff_id;                  // sha256 of the uncompressed tar
    uint64_t uncompressed_size = 0;  // bytes of the uncompressed tar
    uint64_t entries = 0;
};

// Reads a layer from `layer_fd` (from its current offset to EOF; compression detected) and unpacks
// it into `target_dir`, an existing empty directory. On error the directory holds a partial
// layer: callers unpack into a temporary directory and rename it into place on success.
Result<UnpackResult> unpack_layer(int layer_fd, const std::string& target_dir,
                                  const UnpackOptions& options = {});

}  // namespace berth::image
