#include "engine/working_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace berth::engine {
namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/berth-workdir-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { (void)remove_all(path); }
};

bool is_dir(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(WorkingDir, MissingDirectoriesAreMade0755) {
    TempDir root;
    ASSERT_TRUE(ensure_working_dir(root.path, "/new/dir"));
    ASSERT_TRUE(is_dir(root.path + "/new/dir"));
    struct stat st {};
    ASSERT_EQ(::stat((root.path + "/new").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(WorkingDir, NothingToDoWithoutOneOrWhenItExists) {
    TempDir root;
    EXPECT_TRUE(ensure_working_dir(root.path, ""));
    ASSERT_TRUE(mkdir_all(root.path + "/app", 0700));
    EXPECT_TRUE(ensure_working_dir(root.path, "/app"));
    struct stat st {};
    ASSERT_EQ(::stat((root.path + "/app").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);  // left as the image has it
}

TEST(WorkingDir, SymlinksAreFollowedInsideTheRootOnly) {
    TempDir root, outside;
    ASSERT_TRUE(mkdir_all(root.path + "/data", 0755));
    ASSERT_EQ(::symlink("/data", (root.path + "/link").c_str()), 0);
    ASSERT_TRUE(ensure_working_dir(root.path, "/link/sub"));
    EXPECT_TRUE(is_dir(root.path + "/data/sub"));
    // An absolute link to the host's directory, and one climbing out, both stay in the root.
    ASSERT_EQ(::symlink(outside.path.c_str(), (root.path + "/escape").c_str()), 0);
    ASSERT_TRUE(ensure_working_dir(root.path, "/escape/x"));
    EXPECT_FALSE(is_dir(outside.path + "/x"));
    EXPECT_TRUE(is_dir(root.path + outside.path + "/x"));
    ASSERT_EQ(::symlink("../../../../../../..", (root.path + "/up").c_str()), 0);
    ASSERT_TRUE(ensure_working_dir(root.path, "/up/tmp/y"));
    EXPECT_TRUE(is_dir(root.path + "/tmp/y"));
}

TEST(WorkingDir, AFileInTheWayIsDockersError) {
    TempDir root;
    ASSERT_TRUE(write_file(root.path + "/file", "x"));
    auto made = ensure_working_dir(root.path, "/file");
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().message(), "Cannot mkdir: /file is not a directory");
    made = ensure_working_dir(root.path, "/file/below");
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().message(), "Cannot mkdir: /file/below is not a directory");
}

}  // namespace
}  // namespace berth::engine
