// A content-addressed blob store: blobs/<algorithm>/<hex> under its root.
//
// Writes go to an unnamed O_TMPFILE in the store's directory, are hashed on the way in, fsynced,
// checked against the expected digest and only then linked into place, so a crash never leaves a
// visible blob that is wrong or partial (and leaves no temp files behind either).
//
// Garbage collection and writers coordinate through a lock file: every operation that adds blobs
// holds a Lease (shared lock) from its first write until the image that references them is
// recorded; the collector takes the lock exclusively, so it never sweeps a blob that an in-flight
// operation has written but not yet referenced.
//
// Thread safety: a ContentStore may be shared between threads; Writers are per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/digest.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::image {

// Holds the store's lock file, shared or exclusive, until destroyed.
class StoreLock {
  public:
    StoreLock() = default;
    explicit StoreLock(UniqueFd fd) : fd_(std::move(fd)) {}
    bool held() const { return fd_.valid(); }

  private:
    UniqueFd fd_;
};

class BlobWriter {
  public:
    BlobWriter(BlobWriter&&) noexcept = default;
    BlobWriter& operator=(BlobWriter&&) noexcept = default;

    Result<void> write(const void* data, size_t size);
    Result<void> write(std::string_view data) { return write(data.data(), data.size()); }
    // Writes everything `fd` has from its current offset to its end.
    Result<void> write_from(int fd);
    uint64_t size() const { return size_; }

    // Flushes, verifies (when `expected` is given) and links the blob into the store. A blob that
    // is already there is kept as it is. Returns the digest of what was written.
    Result<Digest> commit(const std::optional<Digest>& expected = std::nullopt);
    // After commit: whether the store had this blob before.
    bool was_present() const { return was_present_; }

  private:
    friend class ContentStore;
    BlobWriter(std::string store_root, UniqueFd fd, DigestAlgorithm algorithm)
        : root_(std::move(store_root)), fd_(std::move(fd)), hasher_(algorithm) {}

    std::string root_;
    UniqueFd fd_;
    Hasher hasher_;
    uint64_t size_ = 0;
    bool committed_ = false;
    bool was_present_ = false;
};

class ContentStore {
  public:
    // Creates the directories under `root` if needed.
    static Result<ContentStore> open(std::string root);

    const std::string& root() const { return root_; }
    std::string blob_path(const Digest& digest) const;
    bool contains(const Digest& digest) const;
    Result<uint64_t> size_of(const Digest& digest) const;

    Result<UniqueFd> open_blob(const Digest& digest) const;
    // Reads a small blob (manifests, configs) whole and checks its digest.
    Result<std::string> read_blob(const Digest& digest, uint64_t max_size = 64 << 20) const;
    // Re-hashes a stored blob; a mismatch is an error naming the blob.
    Result<void> verify(const Digest& digest) const;

    Result<BlobWriter> writer(DigestAlgorithm algorithm = DigestAlgorithm::Sha256) const;
    Result<Digest> write_blob(std::string_view data,
                              const std::optional<Digest>& expected = std::nullopt) const;

    Result<std::vector<Digest>> list() const;
    Result<void> remove(const Digest& digest) const;
    // Makes the renames of committed blobs durable (fsync of the blob directories). Call before
    // recording metadata that points at new blobs.
    Result<void> sync_directories() const;

    Result<StoreLock> lease() const;  // shared: for operations that add content
    // Exclusive, for the collector; with wait=false an Unavailable error while leases are held.
    Result<StoreLock> lock_for_gc(bool wait = true) const;

  private:
    explicit ContentStore(std::string root) : root_(std::move(root)) {}
    Result<StoreLock> lock(int operation) const;
    std::string root_;
};

}  // namespace berth::image
