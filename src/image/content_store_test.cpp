#include "image/content_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>

#include "base/fs.h"

namespace berth::image {
namespace {

class ContentStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-content-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto store = ContentStore::open(dir_ + "/content");
        ASSERT_TRUE(store) << store.error().message();
        store_.emplace(std::move(*store));
    }
    void TearDown() override { (void)remove_all(dir_); }
    std::string dir_;
    std::optional<ContentStore> store_;
};

TEST_F(ContentStoreTest, WritesReadsAndLists) {
    auto digest = store_->write_blob("hello");
    ASSERT_TRUE(digest) << digest.error().message();
    EXPECT_EQ(*digest, sha256_of("hello"));
    EXPECT_TRUE(store_->contains(*digest));
    EXPECT_EQ(*store_->size_of(*digest), 5u);
    EXPECT_EQ(*store_->read_blob(*digest), "hello");
    auto all = store_->list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0], *digest);
    // Writing the same content again is harmless.
    EXPECT_EQ(*store_->write_blob("hello"), *digest);
}

TEST_F(ContentStoreTest, MismatchLeavesNothingVisible) {
    auto wrong = store_->write_blob("hello", sha256_of("other"));
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().message().find("mismatch"), std::string::npos);
    EXPECT_FALSE(store_->contains(sha256_of("other")));
    EXPECT_FALSE(store_->contains(sha256_of("hello")));
    EXPECT_TRUE(store_->list()->empty());
}

TEST_F(ContentStoreTest, AbandonedWriterLeavesNoFile) {
    {
        auto writer = store_->writer();
        ASSERT_TRUE(writer);
        ASSERT_TRUE(writer->write("partial data"));
    }
    EXPECT_TRUE(store_->list()->empty());
}

TEST_F(ContentStoreTest, Sha512Blobs) {
    auto expected = digest_of("data", DigestAlgorithm::Sha512);
    auto digest = store_->write_blob("data", expected);
    ASSERT_TRUE(digest) << digest.error().message();
    EXPECT_EQ(*digest, expected);
    EXPECT_TRUE(store_->verify(expected));
}

TEST_F(ContentStoreTest, DetectsFlippedBit) {
    std::string data(100000, 'x');
    auto digest = *store_->write_blob(data);
    ASSERT_TRUE(store_->verify(digest));
    std::string path = store_->blob_path(digest);
    data[5000] ^= 1;
    ASSERT_TRUE(write_file(path, data));
    auto verified = store_->verify(digest);
    ASSERT_FALSE(verified);
    EXPECT_NE(verified.error().message().find("corrupt"), std::string::npos);
    EXPECT_FALSE(store_->read_blob(digest));
}

TEST_F(ContentStoreTest, GcLockExcludesLeases) {
    auto lease = store_->lease();
    ASSERT_TRUE(lease);
    auto second_lease = store_->lease();
    EXPECT_TRUE(second_lease) << "leases are shared";
    // While a lease is held, an exclusive lock cannot be had.
    int fd = ::open((store_->root() + "/gc.lock").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
    lease = StoreLock();
    second_lease = StoreLock();
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    ::close(fd);
}

TEST_F(ContentStoreTest, MissingBlobIsNotFound) {
    auto missing = store_->open_blob(sha256_of("nothing"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
}

}  // namespace
}  // namespace berth::image
