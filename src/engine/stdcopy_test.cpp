#include "engine/stdcopy.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace berth::engine {
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
    EXPECT_NE(next.error().message().find("unrecognized stream: 112"), std::string::npos);
}

TEST(StdcopyTimestamp, PrefixHasNineDigitsAndASpace) {
    EXPECT_EQ(log_timestamp_prefix(timespec{1795851720, 120000000}),
              "2026-11-28T07:42:00.120000000Z ");
    EXPECT_EQ(log_timestamp_prefix(timespec{0, 5}), "1970-01-01T00:00:00.000000005Z ");
}

}  // namespace
}  // namespace berth::engine
