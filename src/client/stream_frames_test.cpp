#include "client/stream_frames.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth::client {
namespace {

std::string frame(uint8_t stream, std::string_view payload) {
    std::string out = {static_cast<char>(stream), 0, 0, 0};
    uint32_t size = static_cast<uint32_t>(payload.size());
    for (int shift : {24, 16, 8, 0})
        out += static_cast<char>((size >> shift) & 0xff);
    return out + std::string(payload);
}

struct Collected {
    std::string out, err;
    FrameDecoder::Sink sink() {
        return [this](StreamType type, std::string_view payload) -> Result<void> {
            (type == StreamType::Stderr ? err : out).append(payload);
            return {};
        };
    }
};

TEST(FrameDecoder, SplitsFramesAcrossAnyReadBoundary) {
    std::string bytes = frame(1, "hello ") + frame(2, "oops\n") + frame(1, "world\n") +
                        frame(1, std::string(70000, 'x'));
    for (size_t step : {1u, 3u, 8u, 9u, 4096u}) {
        FrameDecoder decoder;
        Collected got;
        for (size_t i = 0; i < bytes.size(); i += step)
            ASSERT_TRUE(decoder.feed(std::string_view(bytes).substr(i, step), got.sink()));
        EXPECT_EQ(got.out, "hello world\n" + std::string(70000, 'x')) << "step " << step;
        EXPECT_EQ(got.err, "oops\n");
        EXPECT_TRUE(decoder.idle());
    }
}

TEST(FrameDecoder, PartialFrameIsPending) {
    FrameDecoder decoder;
    Collected got;
    std::string bytes = frame(1, "abc");
    ASSERT_TRUE(decoder.feed(bytes.substr(0, 10), got.sink()));
    EXPECT_FALSE(decoder.idle());
    EXPECT_EQ(got.out, "");
}

TEST(FrameDecoder, SystemErrorAndUnknownStreamAreErrors) {
    FrameDecoder decoder;
    Collected got;
    auto result = decoder.feed(frame(1, "a") + frame(3, "container died"), got.sink());
    ASSERT_FALSE(result);
    EXPECT_EQ(got.out, "a");
    EXPECT_NE(result.error().message().find("container died"), std::string::npos);
    FrameDecoder other;
    auto bad = other.feed(frame(7, "x"), got.sink());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "Unrecognized input header: 7");
}

}  // namespace
}  // namespace berth::client
