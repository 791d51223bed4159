#include "engine/stdcopy.h"

#include "engine/json_log_writer.h"

namespace berth::engine {

void append_frame(std::string& out, StreamType stream, std::string_view payload) {
    auto size = static_cast<uint32_t>(payload.size());
    const char header[kFrameHeaderSize] = {static_cast<char>(stream),
                                           0,
                                           0,
                                           0,
                                           static_cast<char>(size >> 24),
                                           static_cast<char>(size >> 16 & 0xFF),
                                           static_cast<char>(size >> 8 & 0xFF),
                                           static_cast<char>(size & 0xFF)};
    out.append(header, kFrameHeaderSize);
    out.append(payload);
}

std::string frame(StreamType stream, std::string_view payload) {
    std::string out;
    out.reserve(kFrameHeaderSize + payload.size());
    append_frame(out, stream, payload);
    return out;
}

std::string log_timestamp_prefix(timespec time) {
    std::string out;
    out.reserve(32);
    append_rfc3339_nano(out, time, true);
    out += ' ';
    return out;
}

void FrameDecoder::feed(std::string_view bytes) {
    // Drop what was handed out already before growing the buffer, so it holds one frame at most
    // plus the bytes of the next.
    if (consumed_ > 0) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

Result<std::optional<FrameDecoder::Frame>> FrameDecoder::next() {
    std::string_view rest = std::string_view(buffer_).substr(consumed_);
    if (rest.size() < kFrameHeaderSize) return std::nullopt;
    auto type = static_cast<uint8_t>(rest[0]);
    if (type > static_cast<uint8_t>(StreamType::Systemerr))
        return fail(ErrorKind::InvalidArgument,
                    "unrecognized stream: " + std::to_string(type) + " (not a multiplexed stream)");
    auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(rest[i])); };
    size_t size = byte(4) << 24 | byte(5) << 16 | byte(6) << 8 | byte(7);
    if (rest.size() < kFrameHeaderSize + size) return std::nullopt;
    consumed_ += kFrameHeaderSize + size;
    return Frame{static_cast<StreamType>(type), rest.substr(kFrameHeaderSize, size)};
}

}  // namespace berth::engine
