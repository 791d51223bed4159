#include "base/digest.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Digest, HashesKnownVectors) {
    EXPECT_EQ(sha256_of("").str(),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_of("abc").hex(),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(digest_of("abc", DigestAlgorithm::Sha512).hex().substr(0, 16), "ddaf35a193617aba");
}

TEST(Digest, IncrementalMatchesOneShot) {
    Hasher hasher;
    hasher.update("hello ");
    hasher.update("world");
    EXPECT_EQ(hasher.finish(), sha256_of("hello world"));
}

TEST(Digest, ParsesAndRejects) {
    auto good =
        Digest::parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, sha256_of(""));
    EXPECT_FALSE(Digest::parse("sha256:abc"));
    EXPECT_FALSE(Digest::parse("md5:d41d8cd98f00b204e9800998ecf8427e"));
    EXPECT_FALSE(Digest::parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    EXPECT_FALSE(
        Digest::parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    EXPECT_FALSE(
        Digest::parse("sha256:../../../../etc/passwd0000000000000000000000000000000000000000"));
}

}  // namespace
}  // namespace berth
