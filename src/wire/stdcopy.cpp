#include "wire/stdcopy.h"

namespace berth::wire {

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
    // docker's words, which its users know.
    if (type > static_cast<uint8_t>(StreamType::Systemerr))
        return fail(ErrorKind::Internal, "Unrecognized input header: " + std::to_string(type));
    auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(rest[i])); };
    size_t size = byte(4) << 24 | byte(5) << 16 | byte(6) << 8 | byte(7);
    if (rest.size() < kFrameHeaderSize + size) return std::nullopt;
    consumed_ += kFrameHeaderSize + size;
    return Frame{static_cast<StreamType>(type), rest.substr(kFrameHeaderSize, size)};
}

Result<void> FrameDecoder::demultiplex(std::string_view bytes, const Sink& sink) {
    feed(bytes);
    while (auto frame = TRY(next())) {
        if (frame->stream == StreamType::Systemerr)
            return fail(ErrorKind::Internal,
                        "error from daemon in stream: " + std::string(frame->payload));
        TRY(sink(frame->stream, frame->payload));
    }
    return {};
}

}  // namespace berth::wire
