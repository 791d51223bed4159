#include "wire/stdcopy.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::wire {
namespace {

using Piece = std::pair<StreamType, std::string>;

std::vector<Piece> decode_all(FrameDecoder& decoder) {
    std::vector<Piece> pieces;
    for (;;) {
        auto next = decoder.next();
        EXPECT_TRUE(next) << next.error().message();
        if (!next || !*next) return pieces;
        pieces.emplace_back((*next)->stream, std::string((*next)->payload));
    }
}

TEST(StdcopyFrame, HeaderLayout) {
    std::string f = frame(StreamType::Stderr, "hi");
    ASSERT_EQ(f.size(), 10u);
    EXPECT_EQ(f, std::string("\x02\0\0\0\0\0\0\x02hi", 10));
    std::string big(0x010203, 'a');
    std::string g = frame(StreamType::Stdout, big);
    EXPECT_EQ(g.substr(0, 8), std::string("\x01\0\0\0\0\x01\x02\x03", 8));
    EXPECT_EQ(g.size(), 8 + big.size());
}

TEST(StdcopyFrame, AppendConcatenatesFrames) {
    std::string out;
    append_frame(out, StreamType::Stdout, "a");
    append_frame(out, StreamType::Systemerr, "");
    EXPECT_EQ(out, std::string("\x01\0\0\0\0\0\0\x01"
                               "a\x03\0\0\0\0\0\0\0",
                               17));
}

TEST(StdcopyDecoder, DecodesWholeFrames) {
    FrameDecoder decoder;
    std::string stream = frame(StreamType::Stdout, "out\n") + frame(StreamType::Stderr, "err\n") +
                         frame(StreamType::Systemerr, "boom");
    decoder.feed(stream);
    auto pieces = decode_all(decoder);
    ASSERT_EQ(pieces.size(), 3u);
    EXPECT_EQ(pieces[0], Piece(StreamType::Stdout, "out\n"));
    EXPECT_EQ(pieces[1], Piece(StreamType::Stderr, "err\n"));
    EXPECT_EQ(pieces[2], Piece(StreamType::Systemerr, "boom"));
    EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(StdcopyDecoder, WorksAcrossEverySplit) {
    std::string stream = frame(StreamType::Stdout, "hello") + frame(StreamType::Stderr, "") +
                         frame(StreamType::Stderr, std::string(300, 'e')) +
                         frame(StreamType::Stdin, "in");
    for (size_t piece = 1; piece <= stream.size(); ++piece) {
        FrameDecoder decoder;
        std::vector<Piece> pieces;
        for (size_t i = 0; i < stream.size(); i += piece) {
            decoder.feed(std::string_view(stream).substr(i, piece));
            auto more = decode_all(decoder);
            pieces.insert(pieces.end(), more.begin(), more.end());
        }
        ASSERT_EQ(pieces.size(), 4u) << "piece size " << piece;
        EXPECT_EQ(pieces[0], Piece(StreamType::Stdout, "hello"));
        EXPECT_EQ(pieces[1], Piece(StreamType::Stderr, ""));
        EXPECT_EQ(pieces[2], Piece(StreamType::Stderr, std::string(300, 'e')));
        EXPECT_EQ(pieces[3], Piece(StreamType::Stdin, "in"));
        EXPECT_EQ(decoder.buffered(), 0u);
    }
}

TEST(StdcopyDecoder, CutStreamLeavesBytesBuffered) {
    FrameDecoder decoder;
    std::string f = frame(StreamType::Stdout, "truncated");
    decoder.feed(std::string_view(f).substr(0, f.size() - 2));
    EXPECT_TRUE(decode_all(decoder).empty());
    EXPECT_EQ(decoder.buffered(), f.size() - 2);
}

TEST(StdcopyDecoder, UnknownStreamIsAnError) {
    FrameDecoder decoder;
    decoder.feed("plain text, not multiplexed");
    auto next = decoder.next();
    ASSERT_FALSE(next);
    EXPECT_EQ(next.error().message(), "Unrecognized input header: 112");
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

TEST(StdcopyDemultiplex, SplitsFramesAcrossAnyReadBoundary) {
    std::string bytes = frame(StreamType::Stdout, "hello ") + frame(StreamType::Stderr, "oops\n") +
                        frame(StreamType::Stdout, "world\n") +
                        frame(StreamType::Stdout, std::string(70000, 'x'));
    for (size_t step : {1u, 3u, 8u, 9u, 4096u}) {
        FrameDecoder decoder;
        Collected got;
        for (size_t i = 0; i < bytes.size(); i += step)
            ASSERT_TRUE(decoder.demultiplex(std::string_view(bytes).substr(i, step), got.sink()));
        EXPECT_EQ(got.out, "hello world\n" + std::string(70000, 'x')) << "step " << step;
        EXPECT_EQ(got.err, "oops\n");
        EXPECT_EQ(decoder.buffered(), 0u);
    }
}

TEST(StdcopyDemultiplex, SystemErrorAndUnknownStreamAreErrors) {
    FrameDecoder decoder;
    Collected got;
    auto result = decoder.demultiplex(
        frame(StreamType::Stdout, "a") + frame(StreamType::Systemerr, "container died"),
        got.sink());
    ASSERT_FALSE(result);
    EXPECT_EQ(got.out, "a");
    EXPECT_EQ(result.error().message(), "error from daemon in stream: container died");
    FrameDecoder other;
    auto bad = other.demultiplex(std::string("\x07\0\0\0\0\0\0\x01x", 9), got.sink());
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "Unrecognized input header: 7");
}

TEST(StdcopyDemultiplex, SinkErrorStopsAfterTheFramesBefore) {
    FrameDecoder decoder;
    int calls = 0;
    auto result =
        decoder.demultiplex(frame(StreamType::Stdout, "a") + frame(StreamType::Stdout, "b"),
                            [&](StreamType, std::string_view) -> Result<void> {
                                ++calls;
                                return fail(ErrorKind::Unavailable, "stdout closed");
                            });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(), "stdout closed");
    EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace berth::wire
