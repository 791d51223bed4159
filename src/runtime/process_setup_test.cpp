#include "runtime/process_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FindExecutableTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(mkdir_all(first_));
        ASSERT_TRUE(mkdir_all(second_));
    }

    // A file with the given mode (chmod, so the umask does not interfere).
    void make_file(const std::string& path, mode_t mode) {
        ASSERT_TRUE(write_file(path, "#!/bin/sh\nexit 0\n"));
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    }

    oci::Process process(std::string name, std::vector<std::string> env) {
        oci::Process p;
        p.args = {std::move(name), "--flag"};
        p.env = std::move(env);
        return p;
    }

    std::string search_path() const { return "PATH=" + first_ + ":" + second_; }

    TempDir tmp_;
    std::string first_ = tmp_ / "first";
    std::string second_ = tmp_ / "second";
};

TEST_F(FindExecutableTest, FoundInTheSecondDirectory) {
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process("tool", {"A=1", search_path(), "B=2"}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, FirstDirectoryWins) {
    make_file(first_ + "/tool", 0755);
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, first_ + "/tool");
}

TEST_F(FindExecutableTest, NonExecutableFileIsSkipped) {
    // Even for root, who may execute anything with at least one x bit.
    make_file(first_ + "/tool", 0644);
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, AnyExecuteBitWillDo) {
    make_file(first_ + "/tool", 0700);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, first_ + "/tool");
}

TEST_F(FindExecutableTest, DirectoryNamedLikeTheCommandIsSkipped) {
    ASSERT_TRUE(mkdir_all(first_ + "/tool", 0755));  // a directory has x bits too
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, SymlinkToAnExecutableIsFound) {
    make_file(tmp_ / "real-tool", 0755);
    ASSERT_EQ(::symlink((tmp_ / "real-tool").c_str(), (second_ + "/tool").c_str()), 0);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, MissingIsNotFound) {
    make_file(first_ + "/other", 0755);
    make_file(second_ + "/tool", 0644);
    auto found = find_executable(process("tool", {search_path()}));
    ASSERT_FALSE(found) << *found;
    EXPECT_EQ(found.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(found.error().message(), HasSubstr("executable file not found in $PATH"));
    EXPECT_EQ(found.error().message(), "exec: \"tool\": executable file not found in $PATH");
}

TEST_F(FindExecutableTest, OnlyTheVariableNamedPathCounts) {
    make_file(second_ + "/tool", 0755);
    // Neither MYPATH nor PATHX is PATH: the default PATH is searched, and has no "tool" of ours.
    auto found = find_executable(
        process("berth-test-no-such-tool-3f9c", {"MYPATH=" + second_, "PATHX=" + second_}));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().kind(), ErrorKind::NotFound);
    found = find_executable(process("tool", {"MYPATH=" + second_, "PATHX=" + second_}));
    if (found) {
        EXPECT_NE(*found, second_ + "/tool");
    }
}

TEST_F(FindExecutableTest, FirstPathEntryOfTheEnvironmentCounts) {
    make_file(first_ + "/tool", 0755);
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process("tool", {"PATH=" + second_, "PATH=" + first_}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, AbsolutePathIsReturnedAsIs) {
    make_file(second_ + "/tool", 0755);
    auto found = find_executable(process(second_ + "/tool", {"PATH=" + first_}));
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_EQ(*found, second_ + "/tool");
}

TEST_F(FindExecutableTest, AbsolutePathThatDoesNotExist) {
    std::string missing = second_ + "/missing";
    auto found = find_executable(process(missing, {search_path()}));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(found.error().message(), HasSubstr(missing));
}

TEST_F(FindExecutableTest, AbsolutePathToADirectory) {
    auto found = find_executable(process(first_, {search_path()}));
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().kind(), ErrorKind::PermissionDenied);
    EXPECT_THAT(found.error().message(), HasSubstr("is a directory"));
}

class ProcessEnvironmentTest : public ::testing::Test {
  protected:
    oci::Process process(std::vector<std::string> env, uid_t uid) {
        oci::Process p;
        p.args = {"sh"};
        p.env = std::move(env);
        p.user.uid = uid;
        return p;
    }
};

TEST_F(ProcessEnvironmentTest, HomeGivenIsKept) {
    std::vector<std::string> env = {"PATH=/bin", "HOME=/custom", "TERM=xterm"};
    EXPECT_EQ(process_environment(process(env, 0)), env);
}

TEST_F(ProcessEnvironmentTest, HomeMissingIsAddedAtTheEnd) {
    // A uid without a passwd entry gets "/".
    auto env = process_environment(process({"PATH=/bin", "TERM=xterm"}, 3999999999u));
    EXPECT_THAT(env, ElementsAre("PATH=/bin", "TERM=xterm", "HOME=/"));
}

// The home directory of the first /etc/passwd entry for uid 0 (of the rootfs, once in a
// container), "/" if there is none.
std::string home_of_root() {
    auto passwd = read_file("/etc/passwd");
    if (!passwd) return "/";
    size_t pos = 0;
    while (pos < passwd->size()) {
        size_t end = passwd->find('\n', pos);
        if (end == std::string::npos) end = passwd->size();
        std::string line = passwd->substr(pos, end - pos);
        pos = end + 1;
        std::vector<std::string> fields;
        for (size_t start = 0;;) {
            size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (fields.size() >= 6 && fields[2] == "0") return fields[5];
    }
    return "/";
}

TEST_F(ProcessEnvironmentTest, HomeComesFromPasswd) {
    auto env = process_environment(process({"PATH=/bin"}, 0));
    EXPECT_THAT(env, ElementsAre("PATH=/bin", "HOME=" + home_of_root()));
}

TEST_F(ProcessEnvironmentTest, SimilarNamesAreNotHome) {
    auto env = process_environment(process({"HOMEDIR=/x", "MYHOME=/y"}, 3999999999u));
    EXPECT_THAT(env, ElementsAre("HOMEDIR=/x", "MYHOME=/y", "HOME=/"));
}

TEST_F(ProcessEnvironmentTest, EmptyEnvironmentGetsOnlyHome) {
    EXPECT_THAT(process_environment(process({}, 3999999999u)), ElementsAre("HOME=/"));
}

}  // namespace
TEST(ExecIds, NumericOnly) {
    EXPECT_EQ(parse_id("0", "user").value(), 0u);
    EXPECT_EQ(parse_id("4294967295", "group").value(), 4294967295u);
    for (const char* bad : {"", "-1", "1x", "root", "4294967296", " 1"}) {
        auto r = parse_id(bad, "group");
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().message(), std::string("invalid group \"") + bad + "\"");
    }
}

TEST(ExecEnv, SetEnvReplacesTheSameKeyOnly) {
    std::vector<std::string> env{"PATH=/bin", "PATHX=1", "A=b"};
    set_env(env, "PATH=/usr/bin");
    set_env(env, "NEW=1");
    set_env(env, "A=");
    EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/bin", "PATHX=1", "A=", "NEW=1"}));
}

}  // namespace berth::runtime
