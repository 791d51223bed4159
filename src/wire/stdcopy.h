// docker's multiplexed stream framing (moby's stdcopy), used by attach, logs and exec when the
// container has no terminal: the monitor and berthd write it, the CLI reads it. Every frame is an
// 8-byte header and a payload:
//
//   [stream][0][0][0][size: big-endian uint32] payload…
//
// stream: 0 stdin, 1 stdout, 2 stderr, 3 system error (a daemon error that ends the stream).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::wire {

enum class StreamType : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, Systemerr = 3 };

inline constexpr size_t kFrameHeaderSize = 8;

// Appends one frame carrying `payload` to `out`.
void append_frame(std::string& out, StreamType stream, std::string_view payload);
std::string frame(StreamType stream, std::string_view payload);

// Splits a multiplexed stream back into frames, whatever the boundaries of the reads that feed
// it. Not thread-safe; one per stream.
//
//   FrameDecoder decoder;
//   decoder.feed(bytes_read);
//   while (auto frame = TRY(decoder.next())) use(frame->stream, frame->payload);
class FrameDecoder {
  public:
    struct Frame {
        StreamType stream;
        std::string_view payload;  // valid until the next feed()
    };
    using Sink = std::function<Result<void>(StreamType, std::string_view)>;

    void feed(std::string_view bytes);
    // The next complete frame; nullopt while more bytes are needed. A header naming an unknown
    // stream is an error (the stream is not multiplexed, or it is corrupt), as in docker's
    // StdCopy.
    Result<std::optional<Frame>> next();
    // Bytes of an incomplete frame held back: non-zero at the end of the stream means it was cut.
    size_t buffered() const { return buffer_.size() - consumed_; }

    // docker's StdCopy: feeds `bytes` and hands the payload of every complete frame to `sink`
    // (several per call, or none). A system-error frame ends the stream with an error carrying
    // its text; so does an error of the sink, after the frames before it.
    Result<void> demultiplex(std::string_view bytes, const Sink& sink);

  private:
    std::string buffer_;
    size_t consumed_ = 0;  // bytes of buffer_ already returned
};

}  // namespace berth::wire
