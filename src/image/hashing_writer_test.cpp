#include "image/hashing_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "base/fs.h"
#include "image/layer_testing.h"

namespace berth::image {
namespace {

TEST(HashingWriter, WritesAndHashesEveryByteInOrder) {
    testing::TempDir tmp;
    auto fd = open_fd(tmp / "out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_TRUE(fd);
    std::string expected;
    HashingWriter writer(fd->get());
    // Small writes, one spanning several chunks, and sizes that end mid-chunk.
    for (size_t size : {size_t{1}, size_t{511}, size_t{3 << 20}, size_t{1 << 20}, size_t{7}}) {
        std::string data(size, static_cast<char>('a' + expected.size() % 26));
        ASSERT_TRUE(writer.write(data.data(), data.size()));
        expected += data;
    }
    auto summary = writer.finish();
    ASSERT_TRUE(summary) << summary.error().message();
    EXPECT_EQ(summary->size, expected.size());
    EXPECT_EQ(summary->digest, sha256_of(expected));
    EXPECT_EQ(*read_file(tmp / "out"), expected);
}

TEST(HashingWriter, ReportsTheWriteError) {
    testing::TempDir tmp;
    ASSERT_TRUE(write_file(tmp / "ro", ""));
    auto fd = open_fd(tmp / "ro", O_RDONLY);
    HashingWriter writer(fd->get());
    std::string data(8 << 20, 'x');
    (void)writer.write(data.data(), data.size());  // may or may not see the failure yet
    auto summary = writer.finish();
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().sys_errno(), EBADF) << summary.error().message();
}

}  // namespace
}  // namespace berth::image
