// The image half of the engine, as one object: it owns the content store, the snapshotter and the
// image metadata, and offers what the CLI, the daemon, the builder and the registry need: resolve,
// list, inspect, tag, remove, prune, load, save, import, commit, mount.
//
// Consistency: an image becomes visible only when every blob and layer it needs is stored and
// synced; the metadata row is written last, in one transaction. Operations that add content hold
// a content-store lease for their whole duration so garbage collection cannot sweep their blobs.
//
// Thread safety: every method may be called from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "image/content_store.h"
#include "image/image_config.h"
#include "image/image_store.h"
#include "image/layer_diff.h"
#include "image/layer_unpack.h"
#include "image/manifest.h"
#include "image/snapshotter.h"
#include "store/database.h"

namespace berth::image {

// What happened to one image during rmi/prune, as docker reports it.
struct RemovalEvent {
    enum class Kind { Untagged, Deleted } kind;
    std::string what;      // "busybox:latest" or "sha256:..."
    std::string image_id;  // the image untagged or deleted; empty for a layer
};

struct PruneReport {
    std::vector<RemovalEvent> events;
    uint64_t reclaimed_bytes = 0;
};

struct LoadResult {
    std::vector<std::string>
        lines;  // "Loaded image: busybox:latest" / "Loaded image ID: sha256:..."
    std::vector<Digest> image_ids;
};

enum class SaveFormat {
    Combined,  // docker's manifest.json and an OCI image layout in one tar (docker 25 does this
               // too)
    Docker,    // manifest.json + repositories only
    Oci,       // OCI image layout only
};

struct ImportOptions {
    std::optional<std::string> reference;  // tag for the new image
    std::vector<std::string> changes;  // Dockerfile instructions: "CMD [\"sh\"]", "ENV A=b", ...
    std::string message;               // history comment
    std::string author;
    std::optional<Platform> platform;
    std::string created_by;  // history entry's created_by
    // commit: the image's "config" (a container's settings) in place of the parent image's.
    std::optional<Json> config;
    // commit: what of the upper dir is not the container's (the runtime's mount targets).
    LeftOutPaths left_out;
};

struct GcReport {
    uint64_t blobs_removed = 0;
    uint64_t layers_removed = 0;
    uint64_t bytes_freed = 0;
    std::vector<Digest> removed_layers;  // chain IDs
};

struct VerifyReport {
    uint64_t blobs_checked = 0;
    uint64_t bytes_checked = 0;
    std::vector<std::string> problems;  // one line each
};

// Which container uses an image (the engine answers): its ID and whether it runs.
struct ImageUser {
    std::string container_id;
    bool running = false;
};
using ImageUsageProbe = std::function<std::optional<ImageUser>(const Digest& image_id)>;

class ImageService {
  public:
    // Opens (creating) the store under `root`: content/, snapshots/, metadata.db.
    static Result<std::unique_ptr<ImageService>> open(const std::string& root);

    const std::string& root() const { return root_; }
    ContentStore& content() { return content_; }
    OverlaySnapshotter& snapshotter() { return snapshotter_; }

    // Images used by containers are not deleted (rmi keeps them as docker does, prune skips
    // them). Set once, before serving.
    void set_usage_probe(ImageUsageProbe probe) { usage_probe_ = std::move(probe); }

    // "busybox", "busybox:1", "docker.io/library/busybox", "sha256:<hex>", or a unique ID prefix.
    Result<ImageRecord> resolve(std::string_view name);
    Result<std::vector<ImageRecord>> list();
    Result<ImageConfig> config_of(const ImageRecord& image);
    Result<Manifest> manifest_of(const ImageRecord& image);
    // Docker's image inspect document (/images/{name}/json).
    Result<Json> inspect(std::string_view name);

    // Docker Engine API shapes, shared by the daemon's handlers and the local CLI:
    // an item of GET /images/json, and GET /images/{name}/history (newest first).
    Result<Json> summary(const ImageRecord& image);
    Result<Json> history(std::string_view name);

    Result<void> tag(std::string_view source, std::string_view target);
    // docker rmi: untags a name; deletes the image when no tag is left or when named by ID.
    Result<std::vector<RemovalEvent>> remove(std::string_view name, bool force);
    // Removes dangling images (no tag), or with `all` every image (containers are not tracked yet).
    Result<PruneReport> prune(bool all);
    // Sweeps blobs and layers that no image references. Waits for in-flight operations to end,
    // or with wait=false gives an Unavailable error while any runs.
    Result<GcReport> collect_garbage(bool wait = true);
    // At berthd's start, before serving: deletes what killed or failed loads, imports and
    // removals left (snapshots/tmp; blobs and layers no image references) and tells `log` in one
    // line what was freed (nothing when nothing was). Blobs and layers stay when an image cannot
    // be read (it may reference them) or another process holds a lease (a local-mode load).
    void collect_leftovers(const std::function<void(std::string_view)>& log);
    // Re-hashes the stored blobs of one image, or of all when `name` is empty.
    Result<VerifyReport> verify(std::string_view name);

    // Loads a docker-save or OCI-layout tar (optionally gzip/zstd compressed) read from `fd`.
    // From an index, the manifest for `platform` (default: this host's) is taken.
    Result<LoadResult> load(int fd, const std::optional<Platform>& platform = std::nullopt);
    Result<void> save(const std::vector<std::string>& names, int out_fd, SaveFormat format);
    // Imports a root filesystem tar (plain or compressed) as a single-layer image.
    Result<Digest> import(int fd, const ImportOptions& options);
    // Makes an image of the files under `dir` (a directory tree, not a tar).
    Result<Digest> import_directory(const std::string& dir, const ImportOptions& options,
                                    const std::optional<Json>& base_config = std::nullopt);
    // Commits a writable snapshot's upper dir as a new layer on top of `parent` (an image ID).
    Result<Digest> commit(const std::string& upper_dir, const std::optional<Digest>& parent,
                          const ImportOptions& options);

    // The chain IDs of an image's layers, bottom first, all unpacked.
    Result<std::vector<Digest>> layer_chain(const ImageRecord& image);
    // Mounts an image's root file system read-only at `target` (podman's `image mount`).
    Result<void> mount(std::string_view name, const std::string& target);

    // berthd --recover-metadata, over a new metadata.db: records again every image whose
    // manifest, config and unpacked layers are all in the stores (its tags are lost with the
    // database). Returns one line for each image that could not be recovered, and the number
    // recovered.
    struct RebuildReport {
        size_t recovered = 0;
        std::vector<std::string> lost;
    };
    Result<RebuildReport> rebuild_records();

  private:
    ImageService(std::string root, ContentStore content, OverlaySnapshotter snapshotter,
                 store::Database db);

    friend class ImageLoader;
    // Records a new image whose blobs and layers are all in place, in one transaction. Returns
    // the IDs of images that lost a tag to it.
    Result<std::vector<Digest>> record_image(const Digest& config_digest,
                                             const Digest& manifest_digest,
                                             const std::string& manifest_media_type,
                                             const ImageConfig& config,
                                             const std::vector<int64_t>& layer_sizes,
                                             const std::vector<std::string>& tags);
    // Unpacks one layer blob into the snapshotter unless its chain is there already. Returns the
    // uncompressed size.
    Result<int64_t> ensure_layer(const Digest& blob, const Digest& expected_diff_id,
                                 const Digest& chain_id);
    // Stores `dir` as an uncompressed layer tar (blob digest == diffID) and unpacks it into the
    // snapshotter as the layer on top of `parent_chain` unless that layer is there already.
    Result<DiffResult> store_tree_layer(const std::string& dir,
                                        const std::optional<Digest>& parent_chain,
                                        const LeftOutPaths& left_out = {});
    // The compression of a stored blob, from its first bytes.
    Result<Compression> blob_compression(const Digest& blob);
    Result<Digest> write_image(const Json& config, const std::vector<Descriptor>& layers,
                               const ImportOptions& options,
                               const std::vector<int64_t>& layer_sizes);

    std::string root_;
    ContentStore content_;
    OverlaySnapshotter snapshotter_;
    std::mutex db_mutex_;  // guards db_ and images_
    ImageUsageProbe usage_probe_;
    store::Database db_;
    std::optional<ImageStore> images_;
};

// The normalised tag a user's name stands for: "busybox" -> "docker.io/library/busybox:latest".
Result<std::string> normalise_tag(std::string_view name);
// The short form docker prints: "docker.io/library/busybox:latest" -> "busybox:latest".
std::string familiar_tag(const std::string& full_name);

}  // namespace berth::image
