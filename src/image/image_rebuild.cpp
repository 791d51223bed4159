// Rebuilding the image records of a lost or damaged metadata.db from the stores: the content
// store keeps every manifest and config blob, the snapshotter every unpacked layer by chain ID.
#include <filesystem>

#include "image/image_service.h"
#include "image/media_types.h"

namespace berth::image {
namespace {

// Manifests and configs are small; a larger blob is a layer and is not read.
constexpr uint64_t kMaxDocumentSize = 4 << 20;

// Bytes of the files of an unpacked layer (the database kept the tar's size, which is close).
int64_t unpacked_size(const std::string& dir) {
    int64_t total = 0;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
        if (it->is_regular_file(error)) total += static_cast<int64_t>(it->file_size(error));
    return total;
}

}  // namespace

Result<ImageService::RebuildReport> ImageService::rebuild_records() {
    RebuildReport report;
    for (const Digest& blob : TRY(content_.list())) {
        auto size = content_.size_of(blob);
        if (!size || *size > kMaxDocumentSize) continue;
        auto text = content_.read_blob(blob, kMaxDocumentSize);
        if (!text) continue;
        auto manifest = parse_manifest(*text);
        if (!manifest) continue;  // a config, an index or a small layer
        { std::lock_guard lock(db_mutex_); }
        std::string what = "image of manifest " + blob.str();
        auto config_text = content_.read_blob(manifest->config.digest, kMaxDocumentSize);
        if (!config_text) {
            report.lost.push_back(what + ": its config " + manifest->config.digest.str() +
                                  " is not in the content store");
            continue;
        }
        auto config = parse_image_config(*config_text);
        if (!config) continue;  // a manifest of something else than an image (an artifact)
        std::vector<int64_t> sizes;
        std::string missing;
        for (const Digest& chain : chain_ids(config->diff_ids)) {
            if (!snapshotter_.has_layer(chain)) {
                missing = chain.str();
                break;
            }
            sizes.push_back(unpacked_size(snapshotter_.layer_path(chain)));
        }
        if (!missing.empty()) {
            report.lost.push_back(what + " (" + manifest->config.digest.str() + "): its layer " +
                                  missing + " is not unpacked");
            continue;
        }
        std::string media_type = manifest->media_type.empty()
                                     ? std::string(media_type::oci_manifest)
                                     : manifest->media_type;
        auto recorded = record_image(manifest->config.digest, blob, media_type, *config, sizes, {});
        if (!recorded)
            report.lost.push_back(what + ": " + recorded.error().message());
        else
            report.recovered++;
    }
    return report;
}

}  // namespace berth::image
