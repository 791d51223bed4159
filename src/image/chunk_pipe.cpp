#include "image/chunk_pipe.h"

namespace berth::image {

ChunkPipe::ChunkPipe(size_t count, size_t capacity) : chunks_(count) {
    for (auto& chunk : chunks_) {
        chunk.data = std::make_unique_for_overwrite<std::byte[]>(capacity);
        chunk.capacity = capacity;
        empty_.push_back(&chunk);
    }
}

ChunkPipe::Chunk* ChunkPipe::take_empty() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || !empty_.empty(); });
    if (cancelled_) return nullptr;
    Chunk* chunk = empty_.front();
    empty_.pop_front();
    chunk->size = 0;
    return chunk;
}

void ChunkPipe::push_full(Chunk* chunk) {
    {
        std::lock_guard lock(mutex_);
        full_.push_back(chunk);
    }
    changed_.notify_all();
}

void ChunkPipe::close(std::optional<Error> error) {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
        error_ = std::move(error);
    }
    changed_.notify_all();
}

ChunkPipe::Chunk* ChunkPipe::take_full() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || !full_.empty(); });
    if (full_.empty()) return nullptr;
    Chunk* chunk = full_.front();
    full_.pop_front();
    return chunk;
}

void ChunkPipe::give_back(Chunk* chunk) {
    {
        std::lock_guard lock(mutex_);
        empty_.push_back(chunk);
    }
    changed_.notify_all();
}

void ChunkPipe::cancel() {
    {
        std::lock_guard lock(mutex_);
        cancelled_ = true;
    }
    changed_.notify_all();
}

std::optional<Error> ChunkPipe::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

}  // namespace berth::image
