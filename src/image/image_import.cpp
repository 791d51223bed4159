// Images made here rather than loaded: import of a root file system tar, import of a directory
// (the bootstrap images), and commit of a writable snapshot.
#include <fcntl.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fs.h"
#include "image/config_changes.h"
#include "image/image_service.h"
#include "image/layer_diff.h"
#include "image/layer_unpack.h"
#include "image/media_types.h"

namespace berth::image {
namespace {

std::string_view layer_media_type(Compression compression) {
    switch (compression) {
        case Compression::Gzip:
            return media_type::oci_layer_gzip;
        case Compression::Zstd:
            return media_type::oci_layer_zstd;
        case Compression::None:
            break;
    }
    return media_type::oci_layer;
}

Json history_entry(const ImportOptions& options, const std::string& created, bool empty_layer) {
    Json entry = {{"created", created}};
    if (!options.created_by.empty()) entry["created_by"] = options.created_by;
    if (!options.author.empty()) entry["author"] = options.author;
    if (!options.message.empty()) entry["comment"] = options.message;
    if (empty_layer) entry["empty_layer"] = true;
    return entry;
}

// Rejects a bad --change or tag before anything is written, so a typo leaves no trace in the store.
Result<void> check_options(const ImportOptions& options) {
    Json scratch = Json::object();
    for (auto& change : options.changes)
        TRY_CTX(apply_config_change(scratch, change), "--change");
    if (options.reference) TRY(normalise_tag(*options.reference));
    return {};
}

}  // namespace

Result<Compression> ImageService::blob_compression(const Digest& blob) {
    UniqueFd fd = TRY(content_.open_blob(blob));
    char head[16] = {};
    ssize_t n = ::pread(fd.get(), head, sizeof head, 0);
    if (n < 0) return fail_errno("read blob " + blob.str());
    return detect_compression(std::string_view(head, static_cast<size_t>(n)));
}

Result<DiffResult> ImageService::store_tree_layer(const std::string& dir,
                                                  const std::optional<Digest>& parent_chain,
                                                  const LeftOutPaths& left_out) {
    // Written to an unlinked temp file first: the tar is hashed as it is written, then stored
    // under that digest and unpacked from the same file.
    std::string temp_tar = join_path(root_, "content/layer-XXXXXX");
    UniqueFd tar_fd(::mkostemp(temp_tar.data(), O_CLOEXEC));
    if (!tar_fd) return fail_errno("create temp file for " + dir);
    ::unlink(temp_tar.c_str());
    DiffResult diff = TRY(write_layer_tar(dir, tar_fd.get(), left_out));
    if (::lseek(tar_fd.get(), 0, SEEK_SET) != 0) return fail_errno("rewind layer tar");
    BlobWriter writer = TRY(content_.writer());
    TRY(writer.write_from(tar_fd.get()));
    TRY(writer.commit(diff.diff_id));
    Digest chain = parent_chain ? chain_ids({*parent_chain, diff.diff_id}).back() : diff.diff_id;
    if (snapshotter_.has_layer(chain)) return diff;
    if (::lseek(tar_fd.get(), 0, SEEK_SET) != 0) return fail_errno("rewind layer tar");
    std::string temp = TRY(snapshotter_.make_temp_dir());
    auto unpacked = unpack_layer(tar_fd.get(), temp);
    if (!unpacked) {
        (void)remove_all(temp);
        return std::unexpected(std::move(unpacked.error()).context("layer of " + dir));
    }
    TRY(snapshotter_.commit_layer(temp, chain));
    return diff;
}

Result<Digest> ImageService::write_image(const Json& config, const std::vector<Descriptor>& layers,
                                         const ImportOptions& options,
                                         const std::vector<int64_t>& layer_sizes) {
    std::vector<std::string> tags;
    if (options.reference) tags.push_back(TRY(normalise_tag(*options.reference)));
    std::string config_text = config.dump();
    ImageConfig parsed = TRY(parse_image_config(config_text));
    Digest config_digest = TRY(content_.write_blob(config_text));
    Manifest manifest{.media_type = std::string(media_type::oci_manifest),
                      .config = {.media_type = std::string(media_type::oci_config),
                                 .digest = config_digest,
                                 .size = static_cast<int64_t>(config_text.size())},
                      .layers = layers};
    std::string manifest_text = manifest_to_json(manifest).dump();
    Digest manifest_digest = TRY(content_.write_blob(manifest_text));
    TRY(record_image(config_digest, manifest_digest, manifest.media_type, parsed, layer_sizes,
                     tags));
    return config_digest;
}

Result<Digest> ImageService::import(int fd, const ImportOptions& options) {
    TRY(check_options(options));
    StoreLock lease = TRY(content_.lease());
    BlobWriter writer = TRY(content_.writer());
    TRY_CTX(writer.write_from(fd), "import source");
    if (writer.size() == 0) return fail(ErrorKind::InvalidArgument, "import source is empty");
    int64_t blob_size = static_cast<int64_t>(writer.size());
    Digest blob = TRY(writer.commit());
    UniqueFd blob_fd = TRY(content_.open_blob(blob));
    std::string temp = TRY(snapshotter_.make_temp_dir());
    auto unpacked = unpack_layer(blob_fd.get(), temp);
    if (!unpacked) {
        (void)remove_all(temp);
        return std::unexpected(std::move(unpacked.error()).context("import"));
    }
    TRY(snapshotter_.commit_layer(temp, unpacked->diff_id));

    std::string created = rfc3339_now();
    Platform platform = options.platform.value_or(host_platform());
    Json container_config = Json::object();
    for (auto& change : options.changes)
        TRY_CTX(apply_config_change(container_config, change), "--change");
    Json config = {{"architecture", platform.architecture},
                   {"os", platform.os},
                   {"created", created},
                   {"config", container_config},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {unpacked->diff_id.str()}}}}};
    if (!platform.variant.empty()) config["variant"] = platform.variant;
    ImportOptions with_history = options;
    if (with_history.message.empty()) with_history.message = "Imported from -";
    config["history"] = Json::array({history_entry(with_history, created, false)});
    Compression compression = TRY(blob_compression(blob));
    Descriptor layer{.media_type = std::string(layer_media_type(compression)),
                     .digest = blob,
                     .size = blob_size};
    return write_image(config, {layer}, options,
                       {static_cast<int64_t>(unpacked->uncompressed_size)});
}

Result<Digest> ImageService::import_directory(const std::string& dir, const ImportOptions& options,
                                              const std::optional<Json>& base_config) {
    TRY(check_options(options));
    StoreLock lease = TRY(content_.lease());
    DiffResult diff = TRY(store_tree_layer(dir, std::nullopt));

    std::string created = base_config && base_config->contains("created")
                              ? (*base_config)["created"].get<std::string>()
                              : rfc3339_now();
    Platform platform = options.platform.value_or(host_platform());
    Json config = base_config.value_or(Json::object());
    config["architecture"] = platform.architecture;
    config["os"] = platform.os;
    config["created"] = created;
    if (!config.contains("config")) config["config"] = Json::object();
    for (auto& change : options.changes)
        TRY_CTX(apply_config_change(config["config"], change), "--change");
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", {diff.diff_id.str()}}};
    config["history"] = Json::array({history_entry(options, created, false)});
    Descriptor layer{.media_type = std::string(media_type::oci_layer),
                     .digest = diff.diff_id,
                     .size = static_cast<int64_t>(diff.size)};
    return write_image(config, {layer}, options, {static_cast<int64_t>(diff.size)});
}

Result<Digest> ImageService::commit(const std::string& upper_dir,
                                    const std::optional<Digest>& parent,
                                    const ImportOptions& options) {
    TRY(check_options(options));
    StoreLock lease = TRY(content_.lease());
    Json config = Json::object();
    std::vector<Descriptor> layers;
    std::vector<int64_t> sizes;
    std::optional<Digest> parent_chain;
    if (parent) {
        ImageRecord base = TRY(resolve(parent->str()));
        ImageConfig base_config = TRY(config_of(base));
        Manifest base_manifest = TRY(manifest_of(base));
        config = base_config.raw;
        layers = base_manifest.layers;
        for (auto& chain : chain_ids(base_config.diff_ids)) {
            std::lock_guard lock(db_mutex_);
            auto record = TRY(images_->layer(chain));
            sizes.push_back(record ? record->size : 0);
            parent_chain = chain;
        }
    } else {
        Platform platform = options.platform.value_or(host_platform());
        config = {{"architecture", platform.architecture},
                  {"os", platform.os},
                  {"config", Json::object()},
                  {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}}};
    }

    DiffResult diff =
        TRY_CTX(store_tree_layer(upper_dir, parent_chain, options.left_out), "commit");

    std::string created = rfc3339_now();
    config["created"] = created;
    if (!options.author.empty()) config["author"] = options.author;
    if (options.config) config["config"] = *options.config;
    if (!config.contains("config") || !config["config"].is_object())
        config["config"] = Json::object();
    for (auto& change : options.changes)
        TRY_CTX(apply_config_change(config["config"], change), "--change");
    config["rootfs"]["diff_ids"].push_back(diff.diff_id.str());
    if (!config.contains("history") || !config["history"].is_array())
        config["history"] = Json::array();
    config["history"].push_back(history_entry(options, created, false));
    layers.push_back({.media_type = std::string(media_type::oci_layer),
                      .digest = diff.diff_id,
                      .size = static_cast<int64_t>(diff.size)});
    sizes.push_back(static_cast<int64_t>(diff.size));
    return write_image(config, layers, options, sizes);
}

}  // namespace berth::image
