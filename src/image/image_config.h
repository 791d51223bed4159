// The image configuration (OCI image-spec config / Docker image JSON): what runs, and the ordered
// diffIDs of the layers. Kept as JSON as well, so inspect shows every field the image carries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "base/json.h"
#include "image/manifest.h"

namespace berth::image {

struct HistoryEntry {
    std::string created;
    std::string created_by;
    std::string author;
    std::string comment;
    bool empty_layer = false;
};

struct ImageConfig {
    Json raw;  // the whole document, as stored
    Platform platform;
    std::string created;  // RFC 3339, may be empty
    std::vector<Digest> diff_ids;
    std::vector<HistoryEntry> history;
};

// Parses and validates a config blob: rootfs.type must be "layers" and every diffID a digest.
Result<ImageConfig> parse_image_config(std::string_view text);

// The chain IDs of a layer stack, bottom first: chain(0) = diff(0),
// chain(n) = sha256(chain(n-1) + " " + diff(n)). A chain ID names a layer *with* its parents,
// which is how snapshots are shared between images.
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

}  // namespace berth::image
