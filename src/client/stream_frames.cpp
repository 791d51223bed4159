#include "client/stream_frames.h"

namespace berth::client {

Result<void> FrameDecoder::feed(std::string_view bytes, const Sink& sink) {
    pending_.append(bytes);
    size_t at = 0;
    while (pending_.size() - at >= 8) {
        auto byte = [&](size_t i) { return static_cast<uint8_t>(pending_[at + i]); };
        uint8_t type = byte(0);
        uint32_t size = (uint32_t{byte(4)} << 24) | (uint32_t{byte(5)} << 16) |
                        (uint32_t{byte(6)} << 8) | uint32_t{byte(7)};
        if (pending_.size() - at - 8 < size) break;
        std::string_view payload(pending_.data() + at + 8, size);
        if (type > 3) {
            pending_.clear();
            return fail(ErrorKind::Internal, "Unrecognized input header: " + std::to_string(type));
        }
        if (type == static_cast<uint8_t>(StreamType::Systemerr)) {
            std::string text(payload);
            pending_.clear();
            return fail(ErrorKind::Internal, "error from daemon in stream: " + text);
        }
        auto delivered = sink(static_cast<StreamType>(type), payload);
        at += 8 + size;
        if (!delivered) {
            pending_.erase(0, at);
            return delivered;
        }
    }
    pending_.erase(0, at);
    return {};
}

}  // namespace berth::client
