#include "runtime/pid_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::runtime {
namespace {

TEST(PidFile, WritesThePidAloneReadableByAll) {
    TempDir dir;
    std::string path = join_path(dir.path(), "pid");
    ASSERT_TRUE(write_pid_file(path, 1234));
    EXPECT_EQ(read_file(path).value_or(""), "1234");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(PidFile, ARelativePathIsTakenFromTheWorkingDirectory) {
    TempDir dir;
    char cwd[4096];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    ASSERT_EQ(::chdir(dir.path().c_str()), 0);
    auto written = write_pid_file("sub/../pid", 42);
    ASSERT_EQ(::chdir(cwd), 0);
    ASSERT_TRUE(written) << written.error().message();
    EXPECT_EQ(read_file(join_path(dir.path(), "pid")).value_or(""), "42");
}

TEST(PidFile, NoPathWritesNothingAndAMissingDirectoryIsNamed) {
    EXPECT_TRUE(write_pid_file("", 1));
    auto failed = write_pid_file("/nonexistent-berth-dir/pid", 1);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message().find("write pid file"), std::string::npos);
}

}  // namespace
}  // namespace berth::runtime
