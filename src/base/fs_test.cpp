#include "base/fs.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>

#include "base/mountinfo.h"
#include "base/test_support.h"

namespace berth {
namespace {}  // namespace

TEST(CleanPath, CollapsesDotsAndSlashes) {
    EXPECT_EQ(clean_path("/a//b/./c/"), "/a/b/c");
    EXPECT_EQ(clean_path("/../../etc"), "/etc");
    EXPECT_EQ(clean_path("a/../../b"), "../b");
    EXPECT_EQ(clean_path(""), ".");
}

TEST(CleanPath, MatchesGoFilepathClean) {
    EXPECT_EQ(clean_path("./"), ".");
    EXPECT_EQ(clean_path("/abc/.."), "/");
    EXPECT_EQ(clean_path("/.."), "/");
    EXPECT_EQ(clean_path("abc/./../def"), "def");
    EXPECT_EQ(clean_path("abc/def/../../.."), "..");
    EXPECT_EQ(clean_path("../../abc"), "../../abc");
    EXPECT_EQ(clean_path("abc/../../../ghi"), "../../ghi");
    EXPECT_EQ(clean_path("//abc//def//"), "/abc/def");
}

TEST(AbsolutePath, JoinsTheWorkingDirectoryAndCleans) {
    char cwd[4096];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    EXPECT_EQ(absolute_path("/a/./b/..").value_or(""), "/a");
    EXPECT_EQ(absolute_path("x/../y").value_or(""), clean_path(std::string(cwd) + "/y"));
    EXPECT_EQ(absolute_path(".").value_or(""), clean_path(cwd));
}

TEST(JoinPath, PutsOneSlashBetween) {
    EXPECT_EQ(join_path("/run/", "/x"), "/run/x");
    EXPECT_EQ(join_path("/run", "x"), "/run/x");
}

TEST(RemoveAll, RemovesATreeAndToleratesAMissingPath) {
    TempDir temp;
    const std::string& dir = temp.path();
    ASSERT_TRUE(mkdir_all(join_path(dir, "a/b/c")));
    ASSERT_TRUE(write_file(join_path(dir, "a/b/file"), "x"));
    ASSERT_EQ(::symlink("/etc", join_path(dir, "a/etc").c_str()), 0);
    ASSERT_TRUE(remove_all(dir)) << "first removal";
    EXPECT_FALSE(path_exists(dir));
    EXPECT_TRUE(path_exists("/etc/hostname") || path_exists("/etc/passwd"));
    EXPECT_TRUE(remove_all(dir)) << "a missing path is not an error";
}

// A mount left below a doomed tree (a container's rootfs in the trash) keeps what is in it.
TEST(RemoveAll, LeavesWhatIsMountedBelowAlone) {
    TempDir temp;
    const std::string& dir = temp.path();
    std::string point = join_path(dir, "rootfs");
    ASSERT_TRUE(mkdir_all(point));
    if (::mount("tmpfs", point.c_str(), "tmpfs", 0, nullptr) != 0) {
        (void)remove_all(dir);
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    }
    ASSERT_TRUE(write_file(join_path(point, "precious"), "data"));
    auto removed = remove_all(dir);
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().sys_errno(), EBUSY) << removed.error().message();
    EXPECT_TRUE(path_exists(join_path(point, "precious")));

    auto mounts = mount_points_under(dir);
    ASSERT_TRUE(mounts) << mounts.error().message();
    ASSERT_EQ(mounts->size(), 1u);
    EXPECT_EQ(mounts->front(), point);
    ASSERT_EQ(::umount2(point.c_str(), 0), 0);
    EXPECT_TRUE(remove_all(dir));
    EXPECT_FALSE(path_exists(dir));
}

}  // namespace berth
