#include "image/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "base/fs.h"
#include "base/path_in_root.h"

namespace berth::image {
namespace {

constexpr std::array<DigestAlgorithm, 2> kAlgorithms = {DigestAlgorithm::Sha256,
                                                        DigestAlgorithm::Sha512};

std::string_view algorithm_dir(DigestAlgorithm algorithm) {
    return algorithm == DigestAlgorithm::Sha256 ? "sha256" : "sha512";
}

}  // namespace

Result<void> BlobWriter::write(const void* data, size_t size) {
    if (committed_ || !fd_) return fail(ErrorKind::Internal, "blob writer used after commit");
    auto* bytes = static_cast<const char*>(data);
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::write(fd_.get(), bytes + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("write blob in " + root_);
        }
        done += static_cast<size_t>(n);
    }
    hasher_.update(data, size);
    uint64_t before = size_;
    size_ += size;
    // Start writeback of every full 8 MiB as it fills, without waiting for it: the fsync in
    // commit() then finds little left to write, and a large load never stalls on one big flush.
    constexpr uint64_t kWritebackChunk = 8 << 20;
    if (before / kWritebackChunk != size_ / kWritebackChunk) {
        uint64_t end = size_ / kWritebackChunk * kWritebackChunk;
        ::sync_file_range(fd_.get(), static_cast<off64_t>(end - kWritebackChunk), kWritebackChunk,
                          SYNC_FILE_RANGE_WRITE);
    }
    return {};
}

Result<void> BlobWriter::write_from(int fd) {
    std::string buffer(1 << 20, '\0');
    while (true) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read blob source");
        }
        if (n == 0) return {};
        TRY(write(buffer.data(), static_cast<size_t>(n)));
    }
}

Result<Digest> BlobWriter::commit(const std::optional<Digest>& expected) {
    if (committed_ || !fd_) return fail(ErrorKind::Internal, "blob writer committed twice");
    committed_ = true;
    Digest digest = hasher_.finish();
    if (expected && *expected != digest)
        return fail(ErrorKind::InvalidArgument,
                    "blob digest mismatch: expected " + expected->str() + ", got " + digest.str());
    std::string target =
        join_path(root_, "blobs/" + std::string(digest.algorithm_name()) + "/" + digest.hex());
    if (path_exists(target)) {
        was_present_ = true;
        return digest;
    }
    if (::fsync(fd_.get()) != 0) return fail_errno("fsync blob " + digest.str());
    // O_TMPFILE files get a name only now, after their content is durable.
    if (::linkat(AT_FDCWD, fd_path(fd_.get()).c_str(), AT_FDCWD, target.c_str(),
                 AT_SYMLINK_FOLLOW) != 0 &&
        errno != EEXIST)
        return fail_errno("store blob " + digest.str());
    fd_.reset();
    return digest;
}

Result<ContentStore> ContentStore::open(std::string root) {
    for (auto algorithm : kAlgorithms)
        TRY_CTX(mkdir_all(join_path(root, "blobs/" + std::string(algorithm_dir(algorithm))), 0700),
                "content store " + root);
    return ContentStore(std::move(root));
}

std::string ContentStore::blob_path(const Digest& digest) const {
    return join_path(root_, "blobs/" + std::string(digest.algorithm_name()) + "/" + digest.hex());
}

bool ContentStore::contains(const Digest& digest) const {
    return path_exists(blob_path(digest));
}

Result<uint64_t> ContentStore::size_of(const Digest& digest) const {
    struct stat st {};
    if (::stat(blob_path(digest).c_str(), &st) != 0) {
        if (errno == ENOENT)
            return fail(ErrorKind::NotFound, "blob " + digest.str() + " not found");
        return fail_errno("stat blob " + digest.str());
    }
    return static_cast<uint64_t>(st.st_size);
}

Result<UniqueFd> ContentStore::open_blob(const Digest& digest) const {
    UniqueFd fd(::open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return fail(ErrorKind::NotFound, "blob " + digest.str() + " not found");
        return fail_errno("open blob " + digest.str());
    }
    return fd;
}

Result<std::string> ContentStore::read_blob(const Digest& digest, uint64_t max_size) const {
    uint64_t size = TRY(size_of(digest));
    if (size > max_size)
        return fail(ErrorKind::InvalidArgument, "blob " + digest.str() + " is too large (" +
                                                    std::to_string(size) +
                                                    " bytes) for a manifest or config");
    std::string data = TRY_CTX(read_file(blob_path(digest)), "read blob " + digest.str());
    if (digest_of(data, digest.algorithm()) != digest)
        return fail(ErrorKind::Internal,
                    "blob " + digest.str() + " is corrupt: its content does not match its digest");
    return data;
}

Result<void> ContentStore::verify(const Digest& digest) const {
    UniqueFd fd = TRY(open_blob(digest));
    Hasher hasher(digest.algorithm());
    std::string buffer(1 << 20, '\0');
    while (true) {
        ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read blob " + digest.str());
        }
        if (n == 0) break;
        hasher.update(buffer.data(), static_cast<size_t>(n));
    }
    Digest actual = hasher.finish();
    if (actual != digest)
        return fail(ErrorKind::Internal,
                    "blob " + digest.str() + " is corrupt: its content hashes to " + actual.str());
    return {};
}

Result<BlobWriter> ContentStore::writer(DigestAlgorithm algorithm) const {
    std::string dir = join_path(root_, "blobs/" + std::string(algorithm_dir(algorithm)));
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) return fail_errno("create blob in " + dir);
    return BlobWriter(root_, std::move(fd), algorithm);
}

Result<Digest> ContentStore::write_blob(std::string_view data,
                                        const std::optional<Digest>& expected) const {
    DigestAlgorithm algorithm = expected ? expected->algorithm() : DigestAlgorithm::Sha256;
    if (expected && contains(*expected)) {
        if (digest_of(data, algorithm) != *expected)
            return fail(ErrorKind::InvalidArgument,
                        "blob digest mismatch: expected " + expected->str());
        return *expected;
    }
    BlobWriter w = TRY(writer(algorithm));
    TRY(w.write(data));
    return w.commit(expected);
}

Result<std::vector<Digest>> ContentStore::list() const {
    std::vector<Digest> out;
    for (auto algorithm : kAlgorithms) {
        std::string dir = join_path(root_, "blobs/" + std::string(algorithm_dir(algorithm)));
        DIR* d = ::opendir(dir.c_str());
        if (!d) return fail_errno("list " + dir);
        while (auto* entry = ::readdir(d)) {
            std::string name = entry->d_name;
            if (name == "." || name == "..") continue;
            auto digest = Digest::parse(std::string(algorithm_dir(algorithm)) + ":" + name);
            if (digest) out.push_back(*digest);
        }
        ::closedir(d);
    }
    return out;
}

Result<void> ContentStore::remove(const Digest& digest) const {
    if (::unlink(blob_path(digest).c_str()) != 0 && errno != ENOENT)
        return fail_errno("remove blob " + digest.str());
    return {};
}

Result<void> ContentStore::sync_directories() const {
    for (auto algorithm : kAlgorithms) {
        std::string dir = join_path(root_, "blobs/" + std::string(algorithm_dir(algorithm)));
        UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd || ::fsync(fd.get()) != 0) return fail_errno("sync " + dir);
    }
    return {};
}

Result<StoreLock> ContentStore::lock(int operation) const {
    std::string path = join_path(root_, "gc.lock");
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return fail_errno("open " + path);
    while (::flock(fd.get(), operation) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK) return fail(ErrorKind::Unavailable, "content store is busy");
        return fail_errno("lock " + path);
    }
    return StoreLock(std::move(fd));
}

Result<StoreLock> ContentStore::lease() const {
    return lock(LOCK_SH);
}

Result<StoreLock> ContentStore::lock_for_gc(bool wait) const {
    return lock(wait ? LOCK_EX : LOCK_EX | LOCK_NB);
}

}  // namespace berth::image
