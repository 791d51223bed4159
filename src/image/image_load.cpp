// `load`: a docker-save tar (manifest.json) or an OCI image-layout tar (index.json), plain or
// compressed, read as one stream. Every file of the archive goes straight into the content store
// (hashed on the way); small JSON documents are also kept in memory. Layers start unpacking, in
// parallel, as soon as their blob is stored, while the rest of the archive is still being read;
// which layer belongs where is only known at the end (docker writes manifest.json last).
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <future>
#include <map>
#include <semaphore>
#include <thread>

#include "base/failpoint.h"
#include "base/fs.h"
#include "image/image_service.h"
#include "image/layer_unpack.h"
#include "image/media_types.h"
#include "image/reference.h"

namespace berth::image {
namespace {

constexpr size_t kMaxDocumentSize = 16 << 20;

struct ArchiveReader {
    archive* handle = archive_read_new();
    ~ArchiveReader() { archive_read_free(handle); }
};

bool looks_like_layer(std::string_view head) {
    if (detect_compression(head) != Compression::None) return true;
    return head.size() >= 262 && head.substr(257, 5) == "ustar";
}

struct StoredFile {
    Digest digest;
    int64_t size = 0;
    std::string document;  // the content, for small JSON-looking files
    bool has_document = false;
};

}  // namespace

class ImageLoader {
  public:
    ImageLoader(ImageService& service, Platform platform)
        : service_(service),
          platform_(std::move(platform)),
          unpack_slots_(std::max(2u, std::thread::hardware_concurrency())) {}
    ~ImageLoader() {
        for (auto& [blob, job] : unpacks_) {
            if (job.result.valid()) job.result.wait();
            (void)remove_all(job.temp_dir);
        }
    }

    Result<LoadResult> run(int fd) {
        StoreLock lease = TRY(service_.content_.lease());
        TRY(read_archive(fd));
        if (files_.contains("manifest.json")) return load_docker();
        if (files_.contains("index.json")) return load_oci();
        return fail(ErrorKind::InvalidArgument,
                    "not an image archive: it has neither manifest.json (docker save) nor "
                    "index.json (OCI layout)");
    }

  private:
    struct Unpack {
        std::string temp_dir;
        std::shared_future<Result<UnpackResult>> result;
        bool consumed = false;
    };

    struct PendingImage {
        Digest config_digest;
        ImageConfig config;
        std::vector<Descriptor> layers;
        Digest manifest_digest;
        std::string manifest_media_type;
        std::vector<std::string> tags;
    };

    Result<void> read_archive(int fd) {
        ArchiveReader reader;
        archive_read_support_filter_all(reader.handle);
        archive_read_support_format_tar(reader.handle);
        archive_read_support_format_gnutar(reader.handle);
        if (archive_read_open_fd(reader.handle, fd, 1 << 20) != ARCHIVE_OK)
            return fail(ErrorKind::InvalidArgument,
                        std::string("image archive: ") + archive_error_string(reader.handle));
        archive_entry* entry = nullptr;
        while (true) {
            int rc = archive_read_next_header(reader.handle, &entry);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN)
                return fail(ErrorKind::InvalidArgument,
                            std::string("image archive: ") + archive_error_string(reader.handle));
            const char* raw_name = archive_entry_pathname(entry);
            if (!raw_name)
                return fail(ErrorKind::InvalidArgument, "image archive: entry without a name");
            std::string name = clean_path(std::string("/") + raw_name).substr(1);
            auto type = archive_entry_filetype(entry);
            if (const char* link = archive_entry_hardlink(entry)) {
                aliases_[name] = clean_path(std::string("/") + link).substr(1);
            } else if (type == AE_IFLNK) {
                std::string dir =
                    name.find('/') == std::string::npos ? "" : name.substr(0, name.rfind('/'));
                aliases_[name] =
                    clean_path("/" + dir + "/" + archive_entry_symlink(entry)).substr(1);
            } else if (type == AE_IFREG) {
                TRY_CTX(read_file_entry(reader.handle, name), "image archive: " + name);
            }
        }
        return {};
    }

    // The archive's own bookkeeping: read, never stored as blobs.
    static bool is_archive_metadata(const std::string& name) {
        auto base = name.substr(name.rfind('/') + 1);
        bool top = name.find('/') == std::string::npos;
        return (top && (name == "manifest.json" || name == "index.json" || name == "oci-layout" ||
                        name == "repositories")) ||
               (!top && !name.starts_with("blobs/") && (base == "json" || base == "VERSION"));
    }

    Result<void> read_metadata_entry(archive* handle, const std::string& name) {
        StoredFile file;
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while (true) {
            int rc = archive_read_data_block(handle, &block, &size, &offset);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN)
                return fail(ErrorKind::InvalidArgument, archive_error_string(handle));
            if (file.document.size() + size > kMaxDocumentSize)
                return fail(ErrorKind::InvalidArgument,
                            "larger than " + std::to_string(kMaxDocumentSize >> 20) + " MiB");
            file.document.append(static_cast<const char*>(block), size);
        }
        file.size = static_cast<int64_t>(file.document.size());
        file.digest = sha256_of(file.document);
        file.has_document = true;
        files_[name] = std::move(file);
        return {};
    }

    Result<void> read_file_entry(archive* handle, const std::string& name) {
        if (is_archive_metadata(name)) return read_metadata_entry(handle, name);
        BlobWriter writer = TRY(service_.content_.writer());
        std::string head;
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while (true) {
            int rc = archive_read_data_block(handle, &block, &size, &offset);
            if (rc == ARCHIVE_EOF) break;
            if (rc < ARCHIVE_WARN)
                return fail(ErrorKind::InvalidArgument, archive_error_string(handle));
            if (static_cast<uint64_t>(offset) != writer.size()) {
                // Sparse entries have holes; blobs never do.
                return fail(ErrorKind::InvalidArgument, "sparse files are not image content");
            }
            if (head.size() < kMaxDocumentSize + 1) {
                size_t take = std::min(size, kMaxDocumentSize + 1 - head.size());
                head.append(static_cast<const char*>(block), take);
            }
            TRY(writer.write(block, size));
        }
        StoredFile file;
        file.size = static_cast<int64_t>(writer.size());
        bool existed = false;
        std::optional<Digest> expected;
        // OCI layouts name blobs by digest: hold them to it.
        if (name.starts_with("blobs/")) {
            auto parts = name.substr(6);
            auto slash = parts.find('/');
            if (slash != std::string::npos) {
                auto parsed = Digest::parse(parts.substr(0, slash) + ":" + parts.substr(slash + 1));
                if (parsed) expected = *parsed;
            }
        }
        file.digest = TRY(writer.commit(expected));
        failpoint("load.after-blob-write");
        // A blob we had before most likely has its layer unpacked already; finish() checks.
        existed = writer.was_present() || unpacks_.contains(file.digest);
        if (head.size() <= kMaxDocumentSize && !head.empty() && head.front() == '{') {
            file.document = head;
            file.has_document = true;
        }
        if (!existed && !file.has_document && looks_like_layer(head)) start_unpack(file.digest);
        files_[name] = std::move(file);
        return {};
    }

    void start_unpack(const Digest& blob) {
        auto temp = service_.snapshotter_.make_temp_dir();
        if (!temp) return;  // the layer is unpacked later, when it is known to be needed
        Unpack job{.temp_dir = *temp};
        job.result =
            std::async(std::launch::async, [this, blob, dir = *temp]() -> Result<UnpackResult> {
                unpack_slots_.acquire();
                auto fd = service_.content_.open_blob(blob);
                Result<UnpackResult> result =
                    fd ? unpack_layer(fd->get(), dir) : std::unexpected(fd.error());
                unpack_slots_.release();
                return result;
            }).share();
        unpacks_.emplace(blob, std::move(job));
    }

    Result<const StoredFile*> file(const std::string& raw_path) {
        std::string path = clean_path("/" + raw_path).substr(1);
        for (int hops = 0; hops < 16 && aliases_.contains(path); ++hops)
            path = aliases_[path];
        auto it = files_.find(path);
        if (it == files_.end())
            return fail(ErrorKind::InvalidArgument, "image archive: " + raw_path + " is missing");
        return &it->second;
    }

    Result<std::string> document(const StoredFile& stored) {
        if (stored.has_document) return stored.document;
        return service_.content_.read_blob(stored.digest, kMaxDocumentSize);
    }

    Result<LoadResult> load_docker() {
        const StoredFile* manifest_file = TRY(file("manifest.json"));
        Json entries = TRY(parse_json(TRY(document(*manifest_file)), "manifest.json"));
        if (!entries.is_array() || entries.empty())
            return fail(ErrorKind::InvalidArgument, "manifest.json: expected a non-empty array");
        std::vector<PendingImage> images;
        for (size_t i = 0; i < entries.size(); ++i) {
            std::string where = "manifest.json[" + std::to_string(i) + "]";
            const Json& entry = entries[i];
            if (!entry.is_object())
                return fail(ErrorKind::InvalidArgument, where + ": must be an object");
            std::string config_path;
            std::vector<std::string> layer_paths, repo_tags;
            TRY(get_optional(entry, "Config", config_path, where));
            TRY(get_optional(entry, "Layers", layer_paths, where));
            TRY(get_optional(entry, "RepoTags", repo_tags, where));
            const StoredFile* config_file = TRY_CTX(file(config_path), where + ".Config");
            PendingImage image;
            std::string config_text = TRY(document(*config_file));
            image.config = TRY_CTX(parse_image_config(config_text), where + ".Config");
            image.config_digest = config_file->digest;
            if (image.config.diff_ids.size() != layer_paths.size())
                return fail(ErrorKind::InvalidArgument,
                            where + ": " + std::to_string(layer_paths.size()) +
                                " layers but the config lists " +
                                std::to_string(image.config.diff_ids.size()));
            for (auto& path : layer_paths) {
                const StoredFile* layer = TRY_CTX(file(path), where + ".Layers");
                Compression compression = TRY(service_.blob_compression(layer->digest));
                std::string type(compression == Compression::Gzip   ? media_type::oci_layer_gzip
                                 : compression == Compression::Zstd ? media_type::oci_layer_zstd
                                                                    : media_type::oci_layer);
                image.layers.push_back(
                    {.media_type = type, .digest = layer->digest, .size = layer->size});
            }
            for (auto& tag : repo_tags)
                image.tags.push_back(TRY_CTX(normalise_tag(tag), where + ".RepoTags"));
            // docker save has no manifest of its own: make the OCI one an OCI layout would have.
            Manifest manifest{.media_type = std::string(media_type::oci_manifest),
                              .config = {.media_type = std::string(media_type::oci_config),
                                         .digest = image.config_digest,
                                         .size = config_file->size},
                              .layers = image.layers};
            image.manifest_digest =
                TRY(service_.content_.write_blob(manifest_to_json(manifest).dump()));
            image.manifest_media_type = manifest.media_type;
            images.push_back(std::move(image));
        }
        return finish(images);
    }

    Result<LoadResult> load_oci() {
        const StoredFile* index_file = TRY(file("index.json"));
        Index index = TRY(parse_index(TRY(document(*index_file))));
        const Platform& wanted = platform_;
        std::vector<PendingImage> images;
        std::map<Digest, size_t> by_manifest;
        for (auto& descriptor : index.manifests) {
            Descriptor target = descriptor;
            if (media_type::is_index(target.media_type)) {
                Index nested = TRY(parse_index(TRY(service_.content_.read_blob(target.digest))));
                target = TRY(select_platform(nested, wanted));
            } else if (target.platform && !platform_matches(wanted, *target.platform)) {
                continue;
            }
            std::vector<std::string> tags;
            if (auto name = target.annotations.find("io.containerd.image.name");
                name != target.annotations.end())
                tags.push_back(TRY_CTX(normalise_tag(name->second), "index.json annotation"));
            else if (auto ref = descriptor.annotations.find("io.containerd.image.name");
                     ref != descriptor.annotations.end())
                tags.push_back(TRY_CTX(normalise_tag(ref->second), "index.json annotation"));
            else if (auto ref_name =
                         descriptor.annotations.find("org.opencontainers.image.ref.name");
                     ref_name != descriptor.annotations.end() &&
                     ref_name->second.find_first_of(":/") != std::string::npos) {
                // A bare "latest" names only a tag, no repository; only full names become tags.
                if (auto tag = normalise_tag(ref_name->second)) tags.push_back(*tag);
            }
            if (auto seen = by_manifest.find(target.digest); seen != by_manifest.end()) {
                for (auto& tag : tags)
                    images[seen->second].tags.push_back(tag);
                continue;
            }
            std::string manifest_text = TRY(service_.content_.read_blob(target.digest));
            Manifest manifest =
                TRY_CTX(parse_manifest(manifest_text), "manifest " + target.digest.str());
            PendingImage image;
            std::string config_text = TRY(service_.content_.read_blob(manifest.config.digest));
            image.config =
                TRY_CTX(parse_image_config(config_text), "config " + manifest.config.digest.str());
            image.config_digest = manifest.config.digest;
            if (image.config.diff_ids.size() != manifest.layers.size())
                return fail(ErrorKind::InvalidArgument,
                            "manifest " + target.digest.str() + ": " +
                                std::to_string(manifest.layers.size()) +
                                " layers but the config lists " +
                                std::to_string(image.config.diff_ids.size()));
            for (auto& layer : manifest.layers)
                if (!service_.content_.contains(layer.digest))
                    return fail(ErrorKind::InvalidArgument,
                                "image archive: layer " + layer.digest.str() + " is missing");
            image.layers = manifest.layers;
            image.manifest_digest = target.digest;
            image.manifest_media_type = manifest.media_type.empty()
                                            ? std::string(media_type::oci_manifest)
                                            : manifest.media_type;
            image.tags = tags;
            by_manifest[target.digest] = images.size();
            images.push_back(std::move(image));
        }
        if (images.empty())
            return fail(ErrorKind::NotFound,
                        "image archive has no image for platform " + wanted.str());
        return finish(images);
    }

    // Brings every layer of every image into the snapshotter, then records the images.
    Result<LoadResult> finish(std::vector<PendingImage>& images) {
        std::vector<std::vector<int64_t>> sizes(images.size());
        std::vector<std::pair<size_t, std::shared_future<Result<int64_t>>>> waits;
        std::map<Digest, std::shared_future<Result<int64_t>>> by_chain;  // images sharing layers
        for (size_t i = 0; i < images.size(); ++i) {
            auto chain = chain_ids(images[i].config.diff_ids);
            sizes[i].resize(chain.size());
            for (size_t l = 0; l < chain.size(); ++l) {
                auto known = by_chain.find(chain[l]);
                if (known == by_chain.end())
                    known =
                        by_chain
                            .emplace(chain[l], layer_job(images[i].layers[l].digest,
                                                         images[i].config.diff_ids[l], chain[l]))
                            .first;
                waits.emplace_back(i * 100000 + l, known->second);
            }
        }
        std::optional<Error> first_error;
        for (auto& [slot, job] : waits) {
            auto size = job.get();
            if (!size) {
                if (!first_error) first_error = size.error();
                continue;
            }
            sizes[slot / 100000][slot % 100000] = *size;
        }
        if (first_error) return std::unexpected(*first_error);
        failpoint("load.before-image-record");

        LoadResult result;
        for (size_t i = 0; i < images.size(); ++i) {
            auto& image = images[i];
            std::sort(image.tags.begin(), image.tags.end());
            image.tags.erase(std::unique(image.tags.begin(), image.tags.end()), image.tags.end());
            auto displaced = TRY(service_.record_image(image.config_digest, image.manifest_digest,
                                                       image.manifest_media_type, image.config,
                                                       sizes[i], image.tags));
            for (auto& old : displaced)
                result.lines.push_back("The image " + familiar_tag(image.tags.front()) +
                                       " already exists, renaming the old one with ID " +
                                       old.str() + " to empty string");
            for (auto& tag : image.tags)
                result.lines.push_back("Loaded image: " + familiar_tag(tag));
            if (image.tags.empty())
                result.lines.push_back("Loaded image ID: " + image.config_digest.str());
            result.image_ids.push_back(image.config_digest);
        }
        return result;
    }

    // Finishes (or starts) bringing one layer into place; yields its uncompressed size.
    std::shared_future<Result<int64_t>> layer_job(const Digest& blob, const Digest& diff_id,
                                                  const Digest& chain) {
        auto speculative = unpacks_.find(blob);
        if (!service_.snapshotter_.has_layer(chain) && speculative != unpacks_.end() &&
            !speculative->second.consumed) {
            speculative->second.consumed = true;
            Unpack& job = speculative->second;
            return std::async(std::launch::deferred,
                              [this, &job, blob, diff_id, chain]() -> Result<int64_t> {
                                  auto unpacked = job.result.get();
                                  if (!unpacked)
                                      return std::unexpected(
                                          unpacked.error().context("layer " + blob.str()));
                                  if (unpacked->diff_id != diff_id)
                                      return fail(
                                          ErrorKind::InvalidArgument,
                                          "layer " + blob.str() + ": its content hashes to " +
                                              unpacked->diff_id.str() +
                                              " but the image config says " + diff_id.str());
                                  TRY(service_.snapshotter_.commit_layer(job.temp_dir, chain));
                                  failpoint("load.after-layer-unpack");
                                  return static_cast<int64_t>(unpacked->uncompressed_size);
                              })
                .share();
        }
        return std::async(std::launch::async,
                          [this, blob, diff_id, chain]() -> Result<int64_t> {
                              unpack_slots_.acquire();
                              auto size = service_.ensure_layer(blob, diff_id, chain);
                              unpack_slots_.release();
                              return size;
                          })
            .share();
    }

    ImageService& service_;
    Platform platform_;
    std::map<std::string, StoredFile> files_;
    std::map<std::string, std::string> aliases_;
    std::map<Digest, Unpack> unpacks_;
    std::counting_semaphore<> unpack_slots_;
};

Result<LoadResult> ImageService::load(int fd, const std::optional<Platform>& platform) {
    auto loaded = ImageLoader(*this, platform.value_or(host_platform())).run(fd);
    // What a failed load wrote (blobs, layers: its temporary directories went with the loader)
    // goes at once, not at the next rmi or start: a full disk stays no fuller than before. Not
    // while another load runs (its blobs are not referenced yet); the next collection has them.
    if (!loaded) (void)collect_garbage(false);
    return loaded;
}

}  // namespace berth::image
