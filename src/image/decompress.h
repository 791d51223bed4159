// Streaming decompression of a layer blob read from a file descriptor: plain, gzip (concatenated
// members allowed, as pigz and `cat a.gz b.gz` make them) or zstd (concatenated frames allowed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/error.h"
#include "image/layer_unpack.h"

namespace berth::image {

enum class GzipBackend {
    Best,  // ISA-L's igzip (about twice zlib's speed) where built with it and installed, else zlib
    Zlib,
};

// Reads `fd` from its current offset to EOF and hands out the uncompressed bytes. The fd is not
// owned and must outlive the decompressor. Not thread-safe; one reader at a time.
class Decompressor {
  public:
    // Reads the first bytes of the stream to detect the compression.
    static Result<Decompressor> open(int fd, GzipBackend gzip = GzipBackend::Best);

    Decompressor(Decompressor&&) noexcept;
    Decompressor& operator=(Decompressor&&) noexcept;
    ~Decompressor();

    Compression compression() const;

    // Fills `out` with the next uncompressed bytes. Returns fewer than out.size() only at the end
    // of the stream, 0 once it has ended. A truncated or corrupt stream is an InvalidArgument error
    // naming the compressed byte offset.
    Result<size_t> read(std::span<std::byte> out);

    // Compressed bytes consumed so far.
    uint64_t compressed_offset() const;

  private:
    struct Impl;
    explicit Decompressor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace berth::image
