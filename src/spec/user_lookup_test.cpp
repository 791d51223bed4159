#include "spec/user_lookup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>

#include "base/fs.h"

namespace berth::spec {
namespace {

using ::testing::ElementsAre;

const std::string kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\n"
    "# a comment\n"
    "web:x:33:33::/var/www:/usr/sbin/nologin\n";
const std::string kGroup =
    "root:x:0:\n"
    "app:x:1000:\n"
    "audio:x:29:app,web\n"
    "video:x:44:app\n"
    "staff:x:50:\n";

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/berth-user-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { (void)remove_all(path); }
};

TEST(UserLookup, NameGivesIdsHomeAndSupplementaryGroups) {
    auto u = resolve_user_in("app", {}, kPasswd, kGroup).value();
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 1000u);
    EXPECT_EQ(u.home, "/home/app");
    EXPECT_THAT(u.additional_gids, ElementsAre(1000u, 29u, 44u));
}

TEST(UserLookup, EmptyUserIsRoot) {
    auto u = resolve_user_in("", {}, kPasswd, kGroup).value();
    EXPECT_EQ(u.uid, 0u);
    EXPECT_EQ(u.home, "/root");
    EXPECT_THAT(u.additional_gids, ElementsAre(0u));
}

TEST(UserLookup, ExplicitGroupReplacesPrimaryAndDropsSupplementary) {
    auto u = resolve_user_in("app:staff", {}, kPasswd, kGroup).value();
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_EQ(u.gid, 50u);
    EXPECT_THAT(u.additional_gids, ElementsAre(50u));
}

TEST(UserLookup, NumericIdsNeedNoEntries) {
    auto u = resolve_user_in("4000:5000", {}, kPasswd, kGroup).value();
    EXPECT_EQ(u.uid, 4000u);
    EXPECT_EQ(u.gid, 5000u);
    EXPECT_EQ(u.home, "");
    auto no_files = resolve_user_in("123", {"7"}, std::nullopt, std::nullopt).value();
    EXPECT_EQ(no_files.uid, 123u);
    EXPECT_EQ(no_files.gid, 0u);
    EXPECT_THAT(no_files.additional_gids, ElementsAre(0u, 7u));
    // A numeric uid that has an entry takes its gid and home.
    auto known = resolve_user_in("33", {}, kPasswd, kGroup).value();
    EXPECT_EQ(known.gid, 33u);
    EXPECT_EQ(known.home, "/var/www");
}

TEST(UserLookup, UnknownNamesAreDockersErrors) {
    auto r = resolve_user_in("nobody2", {}, kPasswd, kGroup);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(),
              "unable to find user nobody2: no matching entries in passwd file");
    auto no_passwd = resolve_user_in("app", {}, std::nullopt, std::nullopt);
    ASSERT_FALSE(no_passwd);
    EXPECT_EQ(no_passwd.error().message(),
              "unable to find user app: no matching entries in passwd file");
    auto group = resolve_user_in("app:nogroup", {}, kPasswd, kGroup);
    ASSERT_FALSE(group);
    EXPECT_EQ(group.error().message(),
              "unable to find group nogroup: no matching entries in group file");
    auto add = resolve_user_in("app", {"wheel"}, kPasswd, kGroup);
    ASSERT_FALSE(add);
    EXPECT_EQ(add.error().message(),
              "unable to find group wheel: no matching entries in group file");
    auto range = resolve_user_in("4294967296", {}, kPasswd, kGroup);
    ASSERT_FALSE(range);
    EXPECT_EQ(range.error().message(), "uids and gids must be in range 0-2147483647");
}

TEST(UserLookup, GroupAddByNameAndNumber) {
    auto u = resolve_user_in("web", {"video", "99", "video"}, kPasswd, kGroup).value();
    EXPECT_THAT(u.additional_gids, ElementsAre(33u, 29u, 44u, 99u));
}

TEST(UserLookup, ReadsTheRootFileSystem) {
    TempDir dir;
    ASSERT_TRUE(mkdir_all(dir.path + "/etc"));
    ASSERT_TRUE(write_file(dir.path + "/etc/passwd", kPasswd));
    ASSERT_TRUE(write_file(dir.path + "/etc/group", kGroup));
    auto u = resolve_user(dir.path, "app", {}).value();
    EXPECT_EQ(u.uid, 1000u);
    EXPECT_THAT(u.additional_gids, ElementsAre(1000u, 29u, 44u));
}

TEST(UserLookup, WithoutEtcFilesNumericWorksAndNamesFail) {
    TempDir dir;
    EXPECT_EQ(resolve_user(dir.path, "1234:99", {}).value().uid, 1234u);
    auto r = resolve_user(dir.path, "app", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "unable to find user app: no matching entries in passwd file");
}

TEST(UserLookup, SymlinkedPasswdCannotEscapeTheRoot) {
    TempDir dir;
    std::string outside = dir.path + "/outside";
    std::string rootfs = dir.path + "/rootfs";
    ASSERT_TRUE(mkdir_all(outside));
    ASSERT_TRUE(mkdir_all(rootfs + "/etc"));
    ASSERT_TRUE(write_file(outside + "/passwd", "app:x:1234:1234::/evil:/bin/sh\n"));
    // Relative, climbing out of the root, and absolute to the host's path of the same file.
    ASSERT_EQ(::symlink("../../outside/passwd", (rootfs + "/etc/passwd").c_str()), 0);
    auto r = resolve_user(rootfs, "app", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "unable to find user app: no matching entries in passwd file");
    ASSERT_EQ(::unlink((rootfs + "/etc/passwd").c_str()), 0);
    ASSERT_EQ(::symlink((outside + "/passwd").c_str(), (rootfs + "/etc/passwd").c_str()), 0);
    EXPECT_FALSE(resolve_user(rootfs, "app", {}));
    // A symlink that stays inside is followed there.
    ASSERT_TRUE(mkdir_all(rootfs + "/data"));
    ASSERT_TRUE(write_file(rootfs + "/data/passwd", "app:x:77:77::/in:/bin/sh\n"));
    ASSERT_EQ(::unlink((rootfs + "/etc/passwd").c_str()), 0);
    ASSERT_EQ(::symlink("/../../data/passwd", (rootfs + "/etc/passwd").c_str()), 0);
    EXPECT_EQ(resolve_user(rootfs, "app", {}).value().uid, 77u);
}

TEST(UserLookup, FifoAtEtcPasswdDoesNotHang) {
    TempDir dir;
    ASSERT_TRUE(mkdir_all(dir.path + "/etc"));
    ASSERT_EQ(::mkfifo((dir.path + "/etc/passwd").c_str(), 0644), 0);
    EXPECT_EQ(resolve_user(dir.path, "5", {}).value().uid, 5u);
}

TEST(UserLookup, DeviceAtEtcPasswdIsNotRead) {
    if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
    TempDir dir;
    ASSERT_TRUE(mkdir_all(dir.path + "/etc"));
    // /dev/zero: a read would never end.
    ASSERT_EQ(::mknod((dir.path + "/etc/passwd").c_str(), S_IFCHR | 0644, makedev(1, 5)), 0);
    EXPECT_EQ(read_file_in_root(dir.path, "/etc/passwd").value(), std::nullopt);
    EXPECT_EQ(resolve_user(dir.path, "5", {}).value().uid, 5u);
    EXPECT_FALSE(resolve_user(dir.path, "app", {}));
}

TEST(UserLookup, ReadsAreBounded) {
    TempDir dir;
    ASSERT_TRUE(mkdir_all(dir.path + "/etc"));
    ASSERT_TRUE(write_file(dir.path + "/etc/passwd", std::string(5000, 'x')));
    auto big = read_file_in_root(dir.path, "/etc/passwd", 4096);
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message().find("larger than 4096 bytes"), std::string::npos);
    EXPECT_EQ(read_file_in_root(dir.path, "/etc/passwd", 5000).value()->size(), 5000u);
}

}  // namespace
}  // namespace berth::spec
