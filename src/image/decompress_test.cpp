#include "image/decompress.h"

#ifdef BERTH_HAVE_ISAL
#include "image/isal_loader.h"
#endif

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>
#include <string>
#include <thread>

#include "base/fs.h"
#include "base/unique_fd.h"
#include "image/layer_testing.h"

namespace berth::image {
namespace {

// Text-like data that compresses, long enough to cross the 1 MiB input and output buffers.
std::string sample(size_t size) {
    std::mt19937 random(42);
    std::string out;
    out.reserve(size);
    while (out.size() < size)
        out += "word" + std::to_string(random() % 5000) + ' ';
    out.resize(size);
    return out;
}

Result<std::string> decompress_all(std::string_view blob, GzipBackend backend,
                                   size_t chunk = 64 << 10) {
    auto fd = testing::memory_fd(blob);
    auto decompressor = TRY(Decompressor::open(fd.get(), backend));
    std::string out;
    std::string buffer(chunk, '\0');
    for (;;) {
        size_t n = TRY(decompressor.read(std::as_writable_bytes(std::span(buffer))));
        out.append(buffer, 0, n);
        if (n < buffer.size()) break;
    }
    return out;
}

class DecompressTest : public ::testing::TestWithParam<GzipBackend> {};

TEST_P(DecompressTest, GzipSingleAndConcatenatedMembers) {
    std::string data = sample(3 << 20);
    auto one = decompress_all(testing::gzip(data), GetParam());
    ASSERT_TRUE(one) << one.error().message();
    EXPECT_EQ(*one, data);
    std::string members = testing::gzip(data.substr(0, 12345)) +
                          testing::gzip(data.substr(12345, 2 << 20)) +
                          testing::gzip(data.substr(12345 + (2 << 20)));
    auto many = decompress_all(members, GetParam(), 1 << 20);
    ASSERT_TRUE(many) << many.error().message();
    EXPECT_EQ(*many, data);
}

TEST_P(DecompressTest, GzipErrorsNameTheOffset) {
    std::string gz = testing::gzip(sample(1 << 20));
    auto truncated = decompress_all(gz.substr(0, gz.size() - 3), GetParam());
    ASSERT_FALSE(truncated);
    EXPECT_EQ(truncated.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(truncated.error().message().find("gzip: unexpected end of stream at byte"),
              std::string::npos)
        << truncated.error().message();

    auto trailing = decompress_all(gz + std::string(16, '\0'), GetParam());
    ASSERT_FALSE(trailing);
    EXPECT_NE(trailing.error().message().find("gzip: "), std::string::npos);

    std::string bad_crc = gz;
    bad_crc[bad_crc.size() - 6] ^= 1;  // in the CRC32 of the trailer
    auto crc = decompress_all(bad_crc, GetParam());
    ASSERT_FALSE(crc);
    EXPECT_EQ(crc.error().kind(), ErrorKind::InvalidArgument) << crc.error().message();
}

// Every header, member and block boundary split across reads: a pipe fed a few bytes at a time.
TEST_P(DecompressTest, TinyReadsFromAPipe) {
    std::string data = sample(300 << 10);
    std::string blob = testing::gzip(data.substr(0, 1000)) + testing::gzip(data.substr(1000));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::thread feeder([&] {
        for (size_t pos = 0; pos < blob.size(); pos += 7) {
            if (!write_all(write_end.get(), std::string_view(blob).substr(pos, 7))) break;
        }
        write_end.reset();
    });
    auto decompressor = Decompressor::open(read_end.get(), GetParam());
    std::string out;
    if (decompressor) {
        std::string buffer(100 << 10, '\0');
        for (;;) {
            auto n = decompressor->read(std::as_writable_bytes(std::span(buffer)));
            ASSERT_TRUE(n) << n.error().message();
            out.append(buffer, 0, *n);
            if (*n < buffer.size()) break;
        }
    }
    feeder.join();
    ASSERT_TRUE(decompressor) << decompressor.error().message();
    EXPECT_EQ(decompressor->compression(), Compression::Gzip);
    EXPECT_EQ(out, data);
}

INSTANTIATE_TEST_SUITE_P(Backends, DecompressTest,
                         ::testing::Values(GzipBackend::Best, GzipBackend::Zlib));

#ifdef BERTH_HAVE_ISAL
// Built with ISA-L, the tests above only test it when it loads (the package installs it).
TEST(Decompress, LoadsIsal) {
    EXPECT_NE(isal_inflate_functions(), nullptr);
}
#endif

TEST(Decompress, ZstdFramesAndPlain) {
    std::string data = sample(3 << 20);
    auto frames = decompress_all(
        testing::zstd(data.substr(0, 1000)) + testing::zstd(data.substr(1000)), GzipBackend::Best);
    ASSERT_TRUE(frames) << frames.error().message();
    EXPECT_EQ(*frames, data);
    auto plain = decompress_all(data, GzipBackend::Best, 7777);
    ASSERT_TRUE(plain) << plain.error().message();
    EXPECT_EQ(*plain, data);
    auto empty = decompress_all("", GzipBackend::Best);
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, "");
}

TEST(Decompress, UnsupportedCompressionsSayWhich) {
    auto xz = decompress_all(std::string("\xfd"
                                         "7zXZ\0\0\x04\xe6\xd6\xb4",
                                         12),
                             GzipBackend::Best);
    ASSERT_FALSE(xz);
    EXPECT_EQ(xz.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(xz.error().message().find("xz"), std::string::npos);
}

}  // namespace
}  // namespace berth::image
