#include "base/test_support.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(TempDir, MakesAFreshDirectoryAndRemovesItWithItsContents) {
    std::string kept;
    {
        TempDir dir("berth-tempdir-test");
        kept = dir.path();
        EXPECT_TRUE(kept.starts_with("/tmp/berth-tempdir-test-"));
        ASSERT_TRUE(mkdir_all(dir / "a/b", 0755));
        ASSERT_TRUE(write_file(dir / "a/b/file", "x", 0644));
        TempDir other;
        EXPECT_NE(other.path(), dir.path());
    }
    EXPECT_FALSE(path_exists(kept));
}

TEST(TempDir, AMovedFromFixtureLeavesTheDirectoryToTheNewOwner) {
    TempDir first;
    std::string path = first.path();
    {
        TempDir second(std::move(first));
        EXPECT_EQ(second.path(), path);
        EXPECT_TRUE(path_exists(path));
    }
    EXPECT_FALSE(path_exists(path));
}

}  // namespace
}  // namespace berth
