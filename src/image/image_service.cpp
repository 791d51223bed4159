#include "image/image_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "base/failpoint.h"
#include "base/fs.h"
#include "image/layer_unpack.h"
#include "image/media_types.h"
#include "image/reference.h"

namespace berth::image {
namespace {

bool is_hex(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
}

Result<void> sync_filesystem_of(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno("open " + path);
    if (::syncfs(fd.get()) != 0) return fail_errno("sync " + path);
    return {};
}

std::string short_id(const Digest& id) {
    return id.hex().substr(0, 12);
}

}  // namespace

Result<std::string> normalise_tag(std::string_view name) {
    Reference ref = TRY(parse_reference(name));
    return ref.with_default_tag().str();
}

std::string familiar_tag(const std::string& full_name) {
    auto ref = parse_reference(full_name);
    return ref ? ref->familiar_str() : full_name;
}

ImageService::ImageService(std::string root, ContentStore content, OverlaySnapshotter snapshotter,
                           store::Database db)
    : root_(std::move(root)),
      content_(std::move(content)),
      snapshotter_(std::move(snapshotter)),
      db_(std::move(db)) {}

Result<std::unique_ptr<ImageService>> ImageService::open(const std::string& root) {
    TRY(mkdir_all(root, 0711));
    ContentStore content = TRY(ContentStore::open(join_path(root, "content")));
    OverlaySnapshotter snapshotter = TRY(OverlaySnapshotter::open(join_path(root, "snapshots")));
    store::Database db = TRY(store::Database::open(join_path(root, "metadata.db")));
    std::unique_ptr<ImageService> service(
        new ImageService(root, std::move(content), std::move(snapshotter), std::move(db)));
    service->images_.emplace(TRY(ImageStore::open(service->db_)));
    return service;
}

Result<ImageRecord> ImageService::resolve(std::string_view name) {
    std::lock_guard lock(db_mutex_);
    auto not_found = [&] {
        return fail(ErrorKind::NotFound, "No such image: " + std::string(name));
    };
    if (name.starts_with("sha256:")) {
        std::string hex(name.substr(7));
        if (hex.size() == 64) {
            auto id = Digest::parse(name);
            if (!id) return not_found();
            auto image = TRY(images_->find(*id));
            if (!image) return not_found();
            return *image;
        }
        if (!is_hex(hex)) return not_found();
        name = name.substr(7);
    } else if (auto ref = parse_reference(name)) {
        std::string full = ref->with_default_tag().str();
        if (auto id = TRY(images_->id_for_tag(full))) {
            auto image = TRY(images_->find(*id));
            if (image) return *image;
        }
    } else if (!is_hex(name)) {
        return std::unexpected(ref.error());
    }
    if (!is_hex(name)) return not_found();
    auto ids = TRY(images_->ids_with_prefix(std::string(name)));
    if (ids.empty()) return not_found();
    if (ids.size() > 1)
        return fail(ErrorKind::Conflict,
                    "image ID prefix \"" + std::string(name) + "\" is ambiguous");
    auto image = TRY(images_->find(ids[0]));
    if (!image) return not_found();
    return *image;
}

Result<std::vector<ImageRecord>> ImageService::list() {
    std::lock_guard lock(db_mutex_);
    return images_->list();
}

Result<ImageConfig> ImageService::config_of(const ImageRecord& image) {
    std::string text =
        TRY_CTX(content_.read_blob(image.id), "image " + short_id(image.id) + " config");
    return parse_image_config(text);
}

Result<Manifest> ImageService::manifest_of(const ImageRecord& image) {
    std::string text = TRY_CTX(content_.read_blob(image.manifest_digest),
                               "image " + short_id(image.id) + " manifest");
    return parse_manifest(text);
}

Result<std::vector<Digest>> ImageService::layer_chain(const ImageRecord& image) {
    ImageConfig config = TRY(config_of(image));
    auto chain = chain_ids(config.diff_ids);
    for (auto& id : chain)
        if (!snapshotter_.has_layer(id))
            return fail(ErrorKind::Internal,
                        "image " + short_id(image.id) + ": layer " + id.str() + " is missing");
    return chain;
}

Result<Json> ImageService::inspect(std::string_view name) {
    ImageRecord image = TRY(resolve(name));
    ImageConfig config = TRY(config_of(image));
    const Json& raw = config.raw;
    Json out = Json::object();
    out["Id"] = image.id.str();
    out["RepoTags"] = Json::array();
    for (auto& tag : image.tags)
        out["RepoTags"].push_back(familiar_tag(tag));
    out["RepoDigests"] = Json::array();
    out["Parent"] = "";
    out["Comment"] = config.history.empty() ? "" : config.history.back().comment;
    out["Created"] = config.created.empty() ? "0001-01-01T00:00:00Z" : config.created;
    out["DockerVersion"] = raw.value("docker_version", "");
    out["Author"] = raw.value("author", "");
    out["Config"] =
        raw.contains("config") && raw["config"].is_object() ? raw["config"] : Json::object();
    out["Architecture"] = config.platform.architecture;
    if (!config.platform.variant.empty()) out["Variant"] = config.platform.variant;
    out["Os"] = config.platform.os;
    out["Size"] = image.size;
    std::vector<Digest> chain = chain_ids(config.diff_ids);
    std::string lower;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (!lower.empty()) lower += ':';
        lower += snapshotter_.layer_path(*it);
    }
    out["GraphDriver"] = {{"Name", "overlay2"}, {"Data", {{"LowerDir", lower}}}};
    Json layers = Json::array();
    for (auto& diff : config.diff_ids)
        layers.push_back(diff.str());
    out["RootFS"] = {{"Type", "layers"}, {"Layers", layers}};
    out["Metadata"] = {{"LastTagTime", "0001-01-01T00:00:00Z"}};
    out["Descriptor"] = {{"mediaType", image.manifest_media_type},
                         {"digest", image.manifest_digest.str()},
                         {"size", TRY(content_.size_of(image.manifest_digest))}};
    return out;
}

Result<void> ImageService::tag(std::string_view source, std::string_view target) {
    ImageRecord image = TRY(resolve(source));
    Reference ref = TRY(parse_reference(target));
    if (!ref.digest.empty())
        return fail(ErrorKind::InvalidArgument, "refusing to create a tag with a digest reference");
    std::lock_guard lock(db_mutex_);
    return images_->set_tag(ref.with_default_tag().str(), image.id);
}

Result<std::vector<RemovalEvent>> ImageService::remove(std::string_view name, bool force) {
    ImageRecord image = TRY(resolve(name));
    std::vector<RemovalEvent> events;
    bool by_tag = false;
    std::string full;
    if (auto ref = parse_reference(name); ref && !name.starts_with("sha256:")) {
        full = ref->with_default_tag().str();
        by_tag = std::find(image.tags.begin(), image.tags.end(), full) != image.tags.end();
    }
    std::optional<ImageUser> user;
    if (usage_probe_) user = usage_probe_(image.id);
    if (user && !(by_tag && image.tags.size() > 1)) {
        // docker's rules: a tag may be removed with force, the image itself stays.
        std::string container = user->container_id.substr(0, 12);
        if (by_tag && !force)
            return fail(ErrorKind::Conflict,
                        "conflict: unable to remove repository reference \"" + std::string(name) +
                            "\" (must force) - container " + container +
                            " is using its referenced image " + short_id(image.id));
        if (!by_tag && user->running)
            return fail(ErrorKind::Conflict, "conflict: unable to delete " + short_id(image.id) +
                                                 " (cannot be forced) - image is being used by "
                                                 "running container " +
                                                 container);
        if (!by_tag && !force)
            return fail(ErrorKind::Conflict, "conflict: unable to delete " + short_id(image.id) +
                                                 " (must be forced) - image is being used by "
                                                 "stopped container " +
                                                 container);
        std::lock_guard lock(db_mutex_);
        for (auto& tag : image.tags) {
            if (by_tag && tag != full) continue;
            TRY(images_->remove_tag(tag));
            events.push_back({RemovalEvent::Kind::Untagged, familiar_tag(tag), image.id.str()});
        }
        return events;
    }
    {
        std::lock_guard lock(db_mutex_);
        if (by_tag && image.tags.size() > 1) {
            // Other names still point here: only this one goes.
            TRY(images_->remove_tag(full));
            events.push_back({RemovalEvent::Kind::Untagged, familiar_tag(full), image.id.str()});
            return events;
        }
        if (!by_tag && image.tags.size() > 1 && !force)
            return fail(ErrorKind::Conflict,
                        "conflict: unable to delete " + short_id(image.id) +
                            " (must be forced) - image is referenced in multiple repositories");
        for (auto& tag : image.tags)
            events.push_back({RemovalEvent::Kind::Untagged, familiar_tag(tag), image.id.str()});
        TRY(images_->remove(image.id));
    }
    events.push_back({RemovalEvent::Kind::Deleted, image.id.str(), image.id.str()});
    // Sweep now if nothing else is adding content; otherwise the next collection will.
    if (auto report = collect_garbage(false))
        for (auto& layer : report->removed_layers)
            events.push_back({RemovalEvent::Kind::Deleted, layer.str()});
    return events;
}

Result<PruneReport> ImageService::prune(bool all) {
    PruneReport report;
    std::vector<ImageRecord> doomed;
    {
        std::lock_guard lock(db_mutex_);
        for (auto& image : TRY(images_->list()))
            if ((all || image.tags.empty()) && !(usage_probe_ && usage_probe_(image.id)))
                doomed.push_back(image);
        for (auto& image : doomed) {
            for (auto& tag : image.tags)
                report.events.push_back(
                    {RemovalEvent::Kind::Untagged, familiar_tag(tag), image.id.str()});
            TRY(images_->remove(image.id));
            report.events.push_back({RemovalEvent::Kind::Deleted, image.id.str(), image.id.str()});
        }
    }
    GcReport gc = TRY(collect_garbage());
    for (auto& layer : gc.removed_layers)
        report.events.push_back({RemovalEvent::Kind::Deleted, layer.str()});
    report.reclaimed_bytes = gc.bytes_freed;
    return report;
}

Result<GcReport> ImageService::collect_garbage(bool wait) {
    StoreLock exclusive = TRY(content_.lock_for_gc(wait));
    std::set<Digest> live_blobs;
    std::set<Digest> live_layers;
    std::vector<ImageRecord> images;
    {
        std::lock_guard lock(db_mutex_);
        images = TRY(images_->list());
    }
    for (auto& image : images) {
        live_blobs.insert(image.id);
        live_blobs.insert(image.manifest_digest);
        // A damaged image keeps what it still names; it is never a reason to delete more.
        if (auto manifest = manifest_of(image))
            for (auto& layer : manifest->layers)
                live_blobs.insert(layer.digest);
        if (auto config = config_of(image))
            for (auto& chain : chain_ids(config->diff_ids))
                live_layers.insert(chain);
    }
    GcReport report;
    for (auto& blob : TRY(content_.list())) {
        if (live_blobs.contains(blob)) continue;
        report.bytes_freed += content_.size_of(blob).value_or(0);
        TRY(content_.remove(blob));
        ++report.blobs_removed;
    }
    for (auto& layer : TRY(snapshotter_.list_layers())) {
        if (live_layers.contains(layer)) continue;
        {
            std::lock_guard lock(db_mutex_);
            if (auto record = TRY(images_->layer(layer)))
                report.bytes_freed += static_cast<uint64_t>(record->size);
            TRY(images_->remove_layer(layer));
        }
        TRY(snapshotter_.remove_layer(layer));
        ++report.layers_removed;
        report.removed_layers.push_back(layer);
    }
    TRY(snapshotter_.clean_temp());
    // An rmi or prune on a full disk spent it; the room it freed makes it again.
    (void)db_.reserve().restore();
    return report;
}

Result<VerifyReport> ImageService::verify(std::string_view name) {
    std::vector<ImageRecord> images;
    if (name.empty())
        images = TRY(list());
    else
        images.push_back(TRY(resolve(name)));
    VerifyReport report;
    std::set<Digest> checked;
    auto check = [&](const Digest& blob, const std::string& role) {
        if (!checked.insert(blob).second) return;
        ++report.blobs_checked;
        report.bytes_checked += content_.size_of(blob).value_or(0);
        if (auto ok = content_.verify(blob); !ok)
            report.problems.push_back(role + ": " + ok.error().message());
    };
    for (auto& image : images) {
        std::string who =
            image.tags.empty() ? short_id(image.id) : familiar_tag(image.tags.front());
        check(image.manifest_digest, who + " manifest");
        check(image.id, who + " config");
        auto manifest = manifest_of(image);
        if (!manifest) continue;
        for (size_t i = 0; i < manifest->layers.size(); ++i)
            check(manifest->layers[i].digest, who + " layer " + std::to_string(i));
    }
    return report;
}

Result<void> ImageService::mount(std::string_view name, const std::string& target) {
    ImageRecord image = TRY(resolve(name));
    auto chain = TRY(layer_chain(image));
    return snapshotter_.mount(chain, std::nullopt, target);
}

Result<int64_t> ImageService::ensure_layer(const Digest& blob, const Digest& expected_diff_id,
                                           const Digest& chain_id) {
    if (snapshotter_.has_layer(chain_id)) {
        std::lock_guard lock(db_mutex_);
        auto record = TRY(images_->layer(chain_id));
        return record ? record->size : 0;
    }
    UniqueFd fd = TRY(content_.open_blob(blob));
    std::string temp = TRY(snapshotter_.make_temp_dir());
    auto unpacked = unpack_layer(fd.get(), temp);
    if (!unpacked) {
        (void)remove_all(temp);
        return std::unexpected(std::move(unpacked.error()).context("layer " + blob.str()));
    }
    if (unpacked->diff_id != expected_diff_id) {
        (void)remove_all(temp);
        return fail(ErrorKind::InvalidArgument,
                    "layer " + blob.str() + ": its content hashes to " + unpacked->diff_id.str() +
                        " but the image config says " + expected_diff_id.str());
    }
    TRY(snapshotter_.commit_layer(temp, chain_id));
    failpoint("load.after-layer-unpack");
    return static_cast<int64_t>(unpacked->uncompressed_size);
}

Result<std::vector<Digest>> ImageService::record_image(const Digest& config_digest,
                                                       const Digest& manifest_digest,
                                                       const std::string& manifest_media_type,
                                                       const ImageConfig& config,
                                                       const std::vector<int64_t>& layer_sizes,
                                                       const std::vector<std::string>& tags) {
    // Everything the row will point at must be durable before the row is.
    TRY(content_.sync_directories());
    TRY(sync_filesystem_of(snapshotter_.root()));
    auto chain = chain_ids(config.diff_ids);
    std::vector<LayerRecord> layers;
    int64_t total = 0;
    for (size_t i = 0; i < chain.size(); ++i) {
        int64_t size = i < layer_sizes.size() ? layer_sizes[i] : 0;
        layers.push_back({.chain_id = chain[i], .diff_id = config.diff_ids[i], .size = size});
        total += size;
    }
    ImageRecord record{.id = config_digest,
                       .manifest_digest = manifest_digest,
                       .manifest_media_type = manifest_media_type,
                       .size = total,
                       .added_at = static_cast<int64_t>(::time(nullptr))};
    std::lock_guard lock(db_mutex_);
    return images_->add(record, layers, tags);
}

}  // namespace berth::image
