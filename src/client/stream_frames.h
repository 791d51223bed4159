// docker's multiplexed stream framing, as a client reads it (attach, logs, exec without a TTY):
// each frame is [stream][0][0][0][big-endian uint32 size] followed by size bytes of payload.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::client {

enum class StreamType : uint8_t { Stdin = 0, Stdout = 1, Stderr = 2, Systemerr = 3 };

// Splits bytes into frames whatever the read boundaries. One per stream; not thread-safe.
class FrameDecoder {
  public:
    using Sink = std::function<Result<void>(StreamType, std::string_view)>;

    // Hands every complete frame's payload to `sink` (several per call, or none). A system-error
    // frame becomes an error carrying its text; an unknown stream type is an error too.
    Result<void> feed(std::string_view bytes, const Sink& sink);

    // True when no partial frame is pending (a stream that ends elsewhere was cut short).
    bool idle() const { return pending_.empty(); }

  private:
    std::string pending_;
};

}  // namespace berth::client
