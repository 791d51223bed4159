// Writes a byte stream to a file descriptor on a helper thread, hashing it on the way, so the
// thread producing the stream (archiving a tree) does not also pay for sha256 and write(2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>

#include "base/digest.h"
#include "base/error.h"
#include "image/chunk_pipe.h"

namespace berth::image {

// Not thread-safe: one producing thread calls write() and finish().
class HashingWriter {
  public:
    // `fd` is not owned and must stay open until finish() or destruction.
    explicit HashingWriter(int fd);
    ~HashingWriter();
    HashingWriter(const HashingWriter&) = delete;
    HashingWriter& operator=(const HashingWriter&) = delete;

    // Copies `data` into the stream. Small writes are batched into 1 MiB ones.
    Result<void> write(const void* data, size_t size);
    // Flushes everything and waits for the writes; the digest and size of all bytes written.
    struct Summary {
        Digest digest;
        uint64_t size = 0;
    };
    Result<Summary> finish();
    // After a failure elsewhere: later writes are dropped and the output is left as it is.
    void discard() { discarding_ = true; }

  private:
    void run();  // the helper thread
    Result<void> stop();

    int fd_;
    ChunkPipe pipe_;
    ChunkPipe::Chunk* current_ = nullptr;
    bool discarding_ = false;
    bool stopped_ = false;
    // Owned by the helper thread until it is joined.
    Hasher hasher_;
    uint64_t size_ = 0;
    std::optional<Error> error_;
    std::thread thread_;
};

}  // namespace berth::image
