#include "image/hashing_writer.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "base/fs.h"

namespace berth::image {

namespace {
constexpr size_t kChunkSize = 1 << 20;
constexpr size_t kChunkCount = 4;
}  // namespace

HashingWriter::HashingWriter(int fd)
    : fd_(fd), pipe_(kChunkCount, kChunkSize), thread_([this] { run(); }) {}

HashingWriter::~HashingWriter() {
    discarding_ = true;
    (void)stop();
}

void HashingWriter::run() {
    bool failed = false;
    while (ChunkPipe::Chunk* chunk = pipe_.take_full()) {
        if (!failed) {
            std::string_view data(reinterpret_cast<const char*>(chunk->data.get()), chunk->size);
            hasher_.update(data);
            size_ += data.size();
            if (auto r = write_all(fd_, data); !r) {
                error_ = std::move(r).error();
                failed = true;
                pipe_.cancel();  // the producer's next take_empty() fails
            }
        }
        pipe_.give_back(chunk);
    }
}

Result<void> HashingWriter::write(const void* data, size_t size) {
    if (discarding_) return {};
    auto* p = static_cast<const std::byte*>(data);
    while (size > 0) {
        if (current_ == nullptr) {
            current_ = pipe_.take_empty();
            // The helper thread hit a write error: stop producing; finish() reports it.
            if (current_ == nullptr) return fail(ErrorKind::Internal, "layer output failed");
        }
        size_t n = std::min(size, current_->capacity - current_->size);
        std::memcpy(current_->data.get() + current_->size, p, n);
        current_->size += n;
        p += n;
        size -= n;
        if (current_->size == current_->capacity) {
            pipe_.push_full(current_);
            current_ = nullptr;
        }
    }
    return {};
}

Result<void> HashingWriter::stop() {
    if (stopped_) return {};
    stopped_ = true;
    if (current_ != nullptr) {
        if (current_->size > 0 && !discarding_) {
            pipe_.push_full(current_);
        } else {
            pipe_.give_back(current_);
        }
        current_ = nullptr;
    }
    pipe_.close();
    thread_.join();
    if (error_) return fail(std::move(*error_));
    return {};
}

Result<HashingWriter::Summary> HashingWriter::finish() {
    TRY(stop());
    return Summary{hasher_.finish(), size_};
}

}  // namespace berth::image
