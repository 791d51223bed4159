// A bounded hand-off of byte buffers from one producer thread to one consumer thread, so that
// decompressing and hashing a layer (producer) overlaps with writing its files (consumer) while
// memory stays fixed at count * capacity bytes.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/error.h"

namespace berth::image {

class ChunkPipe {
  public:
    struct Chunk {
        std::unique_ptr<std::byte[]> data;
        size_t capacity = 0;
        size_t size = 0;  // bytes of data filled in
    };

    ChunkPipe(size_t count, size_t capacity);
    ChunkPipe(const ChunkPipe&) = delete;
    ChunkPipe& operator=(const ChunkPipe&) = delete;

    // Producer side. take_empty blocks until a chunk is free; null once the consumer cancelled.
    Chunk* take_empty();
    void push_full(Chunk* chunk);
    // No more chunks will come; `error` says why the stream stopped early, if it did.
    void close(std::optional<Error> error = std::nullopt);

    // Consumer side. take_full blocks for the next chunk; null after close (see error()).
    Chunk* take_full();
    void give_back(Chunk* chunk);
    // The consumer gives up: the producer's take_empty returns null from now on.
    void cancel();
    // The producer's error, meaningful once take_full has returned null.
    std::optional<Error> error() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Chunk> chunks_;
    std::deque<Chunk*> empty_;
    std::deque<Chunk*> full_;
    bool closed_ = false;
    bool cancelled_ = false;
    std::optional<Error> error_;
};

}  // namespace berth::image
