#include "image/layer_unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "image/archive_entries.h"
#include "image/chunk_pipe.h"
#include "image/decompress.h"
#include "image/scoped_locale.h"
#include "image/tree_writer.h"
#include "image/whiteout.h"

namespace berth::image {

namespace {

// Four 1 MiB buffers between the decompressing thread and the extracting one: big reads and
// writes, and enough slack that neither side waits on the other's small stalls.
constexpr size_t kChunkSize = 1 << 20;
constexpr size_t kChunkCount = 4;

// The diffID covers the whole uncompressed blob, the bytes after the tar's end included.
struct StreamDigest {
    Hasher hasher;
    uint64_t size = 0;
    void update(const std::byte* data, size_t n) {
        hasher.update(data, n);
        size += n;
    }
};

// Decompresses the blob into the pipe, and hashes it there when `digest` is set.
struct Producer {
    Decompressor decompressor;
    StreamDigest* digest = nullptr;

    void run(ChunkPipe& pipe) {
        for (;;) {
            ChunkPipe::Chunk* chunk = pipe.take_empty();
            if (chunk == nullptr) return;  // the consumer gave up
            auto n = decompressor.read(std::span(chunk->data.get(), chunk->capacity));
            if (!n) {
                pipe.close(std::move(n).error());
                return;
            }
            if (*n == 0) {
                pipe.close();
                return;
            }
            if (digest != nullptr) digest->update(chunk->data.get(), *n);
            chunk->size = *n;
            pipe.push_full(chunk);
            if (*n < chunk->capacity) {  // a short read is the end of the stream
                pipe.close();
                return;
            }
        }
    }
};

// Runs the producer on its own thread; stops and joins it however the unpack ends.
class ProducerThread {
  public:
    ProducerThread(Producer& producer, ChunkPipe& pipe)
        : pipe_(pipe), thread_([&producer, &pipe] { producer.run(pipe); }) {}
    ~ProducerThread() { join(); }
    void join() {
        pipe_.cancel();
        if (thread_.joinable()) thread_.join();
    }

  private:
    ChunkPipe& pipe_;
    std::thread thread_;
};

// libarchive's view of the pipe: each read hands over the next chunk and returns the last one.
// Hashes the chunks when `digest` is set.
struct ArchiveSource {
    ChunkPipe* pipe = nullptr;
    StreamDigest* digest = nullptr;
    ChunkPipe::Chunk* current = nullptr;

    ChunkPipe::Chunk* next() {
        release();
        current = pipe->take_full();
        if (current != nullptr && digest != nullptr)
            digest->update(current->data.get(), current->size);
        return current;
    }

    void release() {
        if (current != nullptr) pipe->give_back(current);
        current = nullptr;
    }
    // Reads what is left after the tar's end (only so it gets hashed) and the producer's verdict.
    Result<void> drain() {
        while (next() != nullptr) {
        }
        if (auto error = pipe->error()) return fail(std::move(*error));
        return {};
    }
};

la_ssize_t read_chunk(archive* a, void* data, const void** buffer) {
    auto* source = static_cast<ArchiveSource*>(data);
    if (source->next() == nullptr) {
        *buffer = nullptr;
        if (auto error = source->pipe->error()) {
            archive_set_error(a, EIO, "%s", error->message().c_str());
            return ARCHIVE_FATAL;
        }
        return 0;
    }
    *buffer = source->current->data.get();
    return static_cast<la_ssize_t>(source->current->size);
}

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};

std::string quoted(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 2);
    out += '"';
    out += name;
    out += '"';
    return out;
}

// Turns libarchive's entries into TreeWriter calls, one at a time.
class EntryApplier {
  public:
    EntryApplier(archive* a, ArchiveSource& source, TreeWriter& writer,
                 const UnpackOptions& options)
        : archive_(a), source_(source), writer_(writer), options_(options) {
        file_data_ = [this](int fd) { return copy_data(fd); };
    }

    // An error from libarchive, or the producer's when the stream itself broke (libarchive only
    // sees the stream end).
    Error archive_error(std::string_view what) {
        if (auto error = source_.pipe->error()) return std::move(*error);
        const char* text = archive_error_string(archive_);
        return Error(ErrorKind::InvalidArgument,
                     std::string(what) + ": " + (text != nullptr ? text : "unknown error"));
    }

    Result<void> apply(archive_entry* entry) {
        const char* raw = archive_entry_pathname(entry);
        if (raw == nullptr || *raw == '\0')
            return fail(ErrorKind::InvalidArgument, "layer entry with an empty name");
        std::string_view name(raw);
        auto context = [&] { return "layer entry " + quoted(name); };
        auto path = clean_layer_path(name);
        if (!path) return fail(ErrorKind::InvalidArgument, context() + ": escapes the layer root");

        std::string_view cleaned = *path;
        auto slash = cleaned.rfind('/');
        std::string_view base =
            slash == std::string_view::npos ? cleaned : cleaned.substr(slash + 1);
        std::string_view dir = slash == std::string_view::npos ? "" : cleaned.substr(0, slash);
        if (base.starts_with(kWhiteoutPrefix)) return apply_whiteout(entry, dir, base, context);

        TreeEntry tree_entry;
        tree_entry.path = *path;
        TRY_CTX(fill_metadata(entry, tree_entry), context());
        std::string hardlink;
        if (const char* target = archive_entry_hardlink(entry); target != nullptr) {
            auto cleaned = clean_layer_path(target);
            if (!cleaned)
                return fail(
                    ErrorKind::InvalidArgument,
                    context() + ": hardlink target " + quoted(target) + " escapes the layer root");
            hardlink = std::move(*cleaned);
            tree_entry.type = EntryType::Hardlink;
            tree_entry.link = hardlink;
        } else {
            switch (archive_entry_filetype(entry)) {
                case AE_IFREG:
                    tree_entry.type = EntryType::Regular;
                    break;
                case AE_IFDIR:
                    tree_entry.type = EntryType::Directory;
                    break;
                case AE_IFLNK: {
                    tree_entry.type = EntryType::Symlink;
                    const char* target = archive_entry_symlink(entry);
                    tree_entry.link = target != nullptr ? target : "";
                    break;
                }
                case AE_IFCHR:
                    tree_entry.type = EntryType::CharDevice;
                    break;
                case AE_IFBLK:
                    tree_entry.type = EntryType::BlockDevice;
                    break;
                case AE_IFIFO:
                    tree_entry.type = EntryType::Fifo;
                    break;
                case AE_IFSOCK:
                    return {};  // a socket is only meaningful with its process; docker skips them
                default:
                    return fail(ErrorKind::InvalidArgument, context() + ": unsupported entry type");
            }
        }
        if (path->empty()) {
            // "./" or "/": the target directory itself, which stays as the caller made it.
            if (tree_entry.type == EntryType::Directory) return {};
            return fail(ErrorKind::InvalidArgument, context() + ": replaces the layer root");
        }
        if ((tree_entry.type == EntryType::CharDevice ||
             tree_entry.type == EntryType::BlockDevice) &&
            !options_.allow_device_nodes)
            return fail(ErrorKind::InvalidArgument, context() + ": device nodes are not allowed");
        entry_size_ = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
        TRY_CTX(writer_.add(tree_entry, file_data_), context());
        return {};
    }

  private:
    template <typename Context>
    Result<void> apply_whiteout(archive_entry* entry, std::string_view dir, std::string_view base,
                                const Context& context) {
        if (base == kOpaqueWhiteout) {
            TRY_CTX(writer_.mark_opaque(dir), context());
            return {};
        }
        if (base.starts_with(kWhiteoutMetaPrefix)) return {};  // AUFS bookkeeping
        std::string_view hidden = base.substr(kWhiteoutPrefix.size());
        if (hidden.empty() || hidden == "." || hidden == "..")
            return fail(ErrorKind::InvalidArgument, context() + ": invalid whiteout");
        std::string hidden_path =
            dir.empty() ? std::string(hidden) : std::string(dir) + "/" + std::string(hidden);
        TreeEntry whiteout;
        whiteout.path = hidden_path;
        TRY_CTX(fill_metadata(entry, whiteout), context());
        TRY_CTX(writer_.add_whiteout(whiteout), context());
        return {};
    }

    Result<void> fill_metadata(archive_entry* entry, TreeEntry& out) {
        return read_entry_metadata(entry, out, xattrs_);
    }

    Result<void> copy_data(int fd) {
        return copy_entry_data(archive_, fd, entry_size_,
                               [this](std::string_view what) { return archive_error(what); });
    }

    archive* archive_;
    ArchiveSource& source_;
    TreeWriter& writer_;
    const UnpackOptions& options_;
    FileData file_data_;
    int64_t entry_size_ = 0;
    std::vector<Xattr> xattrs_;
};

}  // namespace

Result<UnpackResult> unpack_layer(int layer_fd, const std::string& target_dir,
                                  const UnpackOptions& options) {
    auto writer =
        TRY(TreeWriter::open(target_dir, {.preserve_ownership = options.preserve_ownership,
                                          .allow_device_nodes = options.allow_device_nodes}));
    Producer producer{TRY(Decompressor::open(layer_fd))};
    // Hashing (~1.4 GB/s with SHA-NI) goes to whichever thread has less to do: the reader of a
    // plain tar, the extractor when the other thread is busy decompressing.
    StreamDigest digest;
    bool hash_in_producer = producer.decompressor.compression() == Compression::None;
    if (hash_in_producer) producer.digest = &digest;

    // Names go through libarchive byte for byte in the "C" locale, whatever the process uses.
    ScopedLocale locale("C");
    std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
    if (!a) return fail(ErrorKind::Internal, "libarchive: out of memory");
    archive_read_support_format_tar(a.get());  // ustar, pax and GNU tar; nothing else

    ChunkPipe pipe(kChunkCount, kChunkSize);
    ArchiveSource source{&pipe, hash_in_producer ? nullptr : &digest};
    ProducerThread thread(producer, pipe);

    UnpackResult result;
    EntryApplier applier(a.get(), source, writer, options);
    if (archive_read_open(a.get(), &source, nullptr, read_chunk, nullptr) != ARCHIVE_OK)
        return fail(applier.archive_error("layer tar"));
    for (;;) {
        archive_entry* entry = nullptr;
        int rc = archive_read_next_header(a.get(), &entry);
        if (rc == ARCHIVE_EOF) break;
        // Warnings (a name that does not convert to the locale's charset...) are not failures.
        if (rc < ARCHIVE_WARN) return fail(applier.archive_error("layer tar"));
        ++result.entries;
        TRY(applier.apply(entry));
    }
    TRY(source.drain());
    thread.join();
    TRY(writer.finish());
    result.diff_id = digest.hasher.finish();
    result.uncompressed_size = digest.size;
    return result;
}

}  // namespace berth::image
