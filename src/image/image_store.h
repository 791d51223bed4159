// Image metadata in the engine's SQLite database: which images exist (by ID, the config digest),
// which manifest each came from, its tags, and the unpacked size of every layer. Blobs and layer
// directories live in the content store and the snapshotter; this is only the index over them.
//
// Every mutation is one transaction. Not thread-safe: the owner serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "store/database.h"

namespace berth::image {

struct ImageRecord {
    Digest id;  // the config digest
    Digest manifest_digest;
    std::string manifest_media_type;
    int64_t size = 0;               // bytes of all its layers, unpacked
    int64_t added_at = 0;           // unix seconds when it arrived here
    std::vector<std::string> tags;  // full names ("docker.io/library/busybox:latest"), sorted
};

struct LayerRecord {
    Digest chain_id;
    Digest diff_id;
    int64_t size = 0;  // bytes of the uncompressed layer tar
};

class ImageStore {
  public:
    // Creates the tables when missing. The database must outlive the store.
    static Result<ImageStore> open(store::Database& db);

    store::Database& database() { return *db_; }

    // Adds an image, its layers and tags in one transaction. A tag that pointed at another image
    // moves; the IDs of images that lost a tag this way are returned (docker reports them).
    Result<std::vector<Digest>> add(const ImageRecord& image,
                                    const std::vector<LayerRecord>& layers,
                                    const std::vector<std::string>& tags);

    Result<std::optional<ImageRecord>> find(const Digest& id);
    Result<std::vector<ImageRecord>> list();
    Result<std::optional<Digest>> id_for_tag(const std::string& full_name);
    // IDs whose hex starts with `hex_prefix`.
    Result<std::vector<Digest>> ids_with_prefix(const std::string& hex_prefix);

    Result<void> set_tag(const std::string& full_name, const Digest& id);
    Result<bool> remove_tag(const std::string& full_name);
    // Removes the image and its tags (not its blobs or layers: garbage collection does that).
    Result<void> remove(const Digest& id);

    Result<std::optional<LayerRecord>> layer(const Digest& chain_id);
    Result<void> remove_layer(const Digest& chain_id);

  private:
    explicit ImageStore(store::Database& db) : db_(&db) {}
    Result<std::vector<std::string>> tags_of(const Digest& id);
    Result<ImageRecord> read_row(store::Statement& row);
    store::Database* db_;
};

}  // namespace berth::image
