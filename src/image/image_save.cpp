// `save`: images as one tar that both docker (manifest.json) and OCI tools (index.json,
// oci-layout, blobs/) read, as docker 25 writes it; or only one of the two forms.
#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <set>

#include "base/fs.h"
#include "image/image_service.h"
#include "image/media_types.h"
#include "image/reference.h"

namespace berth::image {
namespace {

class TarWriter {
  public:
    explicit TarWriter(int fd) : fd_(fd) {
        archive_write_set_format_pax_restricted(handle_);
        archive_write_set_bytes_per_block(handle_, 0);  // no padding to 10 KiB records on a pipe
    }
    ~TarWriter() { archive_write_free(handle_); }

    Result<void> open() {
        if (archive_write_open_fd(handle_, fd_) != ARCHIVE_OK) return error("open output");
        return {};
    }

    Result<void> directory(const std::string& name) {
        Entry entry;
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), 0755);
        if (archive_write_header(handle_, entry.get()) != ARCHIVE_OK) return error(name);
        return {};
    }

    Result<void> file(const std::string& name, std::string_view data) {
        TRY(header(name, data.size()));
        if (archive_write_data(handle_, data.data(), data.size()) < 0) return error(name);
        return {};
    }

    // Copies a stored blob, re-hashing it on the way: a corrupt blob fails the save instead of
    // spreading to another machine.
    Result<void> blob(const std::string& name, int fd, uint64_t size, const Digest& digest) {
        TRY(header(name, size));
        Hasher hasher(digest.algorithm());
        std::string buffer(1 << 20, '\0');
        uint64_t left = size;
        while (left > 0) {
            ssize_t n = ::read(fd, buffer.data(), std::min<uint64_t>(buffer.size(), left));
            if (n < 0) return fail_errno("read " + name);
            if (n == 0) return fail(ErrorKind::Internal, name + ": blob shrank while being saved");
            hasher.update(buffer.data(), static_cast<size_t>(n));
            if (archive_write_data(handle_, buffer.data(), static_cast<size_t>(n)) < 0)
                return error(name);
            left -= static_cast<uint64_t>(n);
        }
        if (hasher.finish() != digest)
            return fail(
                ErrorKind::Internal,
                "blob " + digest.str() + " is corrupt: its content does not match its digest");
        return {};
    }

    Result<void> close() {
        if (archive_write_close(handle_) != ARCHIVE_OK) return error("finish output");
        return {};
    }

  private:
    struct Entry {
        archive_entry* e = archive_entry_new();
        ~Entry() { archive_entry_free(e); }
        archive_entry* get() { return e; }
    };

    Result<void> header(const std::string& name, uint64_t size) {
        Entry entry;
        archive_entry_set_pathname(entry.get(), name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
        if (archive_write_header(handle_, entry.get()) != ARCHIVE_OK) return error(name);
        return {};
    }

    Result<void> error(const std::string& what) {
        const char* message = archive_error_string(handle_);
        int err = archive_errno(handle_);
        if (err == EPIPE || err == ENOSPC || err == EIO)
            return fail(Error::from_errno("write " + what, err));
        return fail(ErrorKind::Internal,
                    "write " + what + ": " + (message ? message : "unknown error"));
    }

    archive* handle_ = archive_write_new();
    int fd_;
};

struct SavedImage {
    ImageRecord record;
    Manifest manifest;
    std::vector<std::string> tags;  // full names chosen for this save
};

}  // namespace

Result<void> ImageService::save(const std::vector<std::string>& names, int out_fd,
                                SaveFormat format) {
    if (names.empty()) return fail(ErrorKind::InvalidArgument, "save needs at least one image");
    std::vector<SavedImage> images;
    for (auto& name : names) {
        ImageRecord record = TRY(resolve(name));
        std::vector<std::string> tags;
        // Named by tag: that tag only. Named by ID: no tags, as docker does.
        if (auto ref = parse_reference(name); ref && !name.starts_with("sha256:")) {
            std::string full = ref->with_default_tag().str();
            if (std::find(record.tags.begin(), record.tags.end(), full) != record.tags.end())
                tags.push_back(full);
        }
        auto same = std::find_if(images.begin(), images.end(),
                                 [&](auto& i) { return i.record.id == record.id; });
        if (same != images.end()) {
            same->tags.insert(same->tags.end(), tags.begin(), tags.end());
            continue;
        }
        Manifest manifest = TRY(manifest_of(record));
        images.push_back({.record = record, .manifest = manifest, .tags = tags});
    }

    TarWriter tar(out_fd);
    TRY(tar.open());
    std::set<Digest> written;
    auto write_blob = [&](const Digest& blob) -> Result<void> {
        if (!written.insert(blob).second) return {};
        UniqueFd fd = TRY(content_.open_blob(blob));
        uint64_t size = TRY(content_.size_of(blob));
        return tar.blob("blobs/" + std::string(blob.algorithm_name()) + "/" + blob.hex(), fd.get(),
                        size, blob);
    };

    TRY(tar.directory("blobs/"));
    TRY(tar.directory("blobs/sha256/"));
    for (auto& image : images) {
        for (auto& layer : image.manifest.layers)
            TRY(write_blob(layer.digest));
        TRY(write_blob(image.manifest.config.digest));
        if (format != SaveFormat::Docker) TRY(write_blob(image.record.manifest_digest));
    }

    if (format != SaveFormat::Oci) {
        Json manifest_json = Json::array();
        for (auto& image : images) {
            Json entry = {{"Config", "blobs/sha256/" + image.manifest.config.digest.hex()}};
            Json repo_tags = Json::array();
            for (auto& tag : image.tags)
                repo_tags.push_back(familiar_tag(tag));
            entry["RepoTags"] = repo_tags.empty() ? Json(nullptr) : repo_tags;
            Json layers = Json::array();
            for (auto& layer : image.manifest.layers)
                layers.push_back("blobs/sha256/" + layer.digest.hex());
            entry["Layers"] = layers;
            manifest_json.push_back(entry);
        }
        TRY(tar.file("manifest.json", manifest_json.dump()));
    }
    if (format != SaveFormat::Docker) {
        Index index{.media_type = std::string(media_type::oci_index)};
        for (auto& image : images) {
            Descriptor descriptor{
                .media_type = image.record.manifest_media_type,
                .digest = image.record.manifest_digest,
                .size = static_cast<int64_t>(TRY(content_.size_of(image.record.manifest_digest)))};
            if (image.tags.empty()) index.manifests.push_back(descriptor);
            for (auto& tag : image.tags) {
                Descriptor named = descriptor;
                named.annotations["io.containerd.image.name"] = tag;
                named.annotations["org.opencontainers.image.ref.name"] =
                    TRY(parse_reference(tag)).tag;
                index.manifests.push_back(named);
            }
        }
        TRY(tar.file("index.json", index_to_json(index).dump()));
        TRY(tar.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    }
    return tar.close();
}

}  // namespace berth::image
