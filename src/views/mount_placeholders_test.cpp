#include "views/mount_placeholders.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "base/fs.h"
#include "image/layer_testing.h"

namespace berth::views {
namespace {

using image::testing::TempDir;

void make_file(const std::string& path, std::string_view content) {
    ASSERT_TRUE(mkdir_all(path.substr(0, path.rfind('/'))));
    ASSERT_TRUE(write_file(path, content));
}

void make_dir(const std::string& path, mode_t mode = 0755) {
    ASSERT_TRUE(mkdir_all(path));
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

struct Trees {
    TempDir upper, image;
    image::LeftOutPaths left_out() { return mount_placeholders_in(upper.path(), {image.path()}); }
};

using Paths = image::LeftOutPaths;

TEST(MountPlaceholders, TheRuntimesEmptyTargetsAndTheirEtc) {
    Trees t;
    make_dir(t.image / "etc");
    make_file(t.image / "etc/passwd", "root:x:0:0\n");
    make_dir(t.upper / "etc");  // copied up to hold the targets
    for (const char* name : {"etc/hostname", "etc/hosts", "etc/resolv.conf"})
        make_file(t.upper / name, "");
    for (const char* dir : {"dev", "proc", "sys"})
        make_dir(t.upper / dir);
    make_dir(t.upper / "dev/pts");
    EXPECT_EQ(t.left_out(),
              (Paths{"dev", "etc", "etc/hostname", "etc/hosts", "etc/resolv.conf", "proc", "sys"}));
}

TEST(MountPlaceholders, AnEtcWithTheContainersOwnFilesStays) {
    Trees t;
    make_dir(t.image / "etc");
    make_dir(t.upper / "etc");
    make_file(t.upper / "etc/hosts", "");
    make_file(t.upper / "etc/motd", "hello");
    EXPECT_EQ(t.left_out(), (Paths{"etc/hosts"}));
}

TEST(MountPlaceholders, AnEtcTheImageLacksIsTheRuntimes) {
    Trees t;
    make_dir(t.upper / "etc");
    make_file(t.upper / "etc/resolv.conf", "");
    EXPECT_EQ(t.left_out(), (Paths{"etc", "etc/resolv.conf"}));
}

TEST(MountPlaceholders, AnEtcWhoseModeTheContainerChangedStays) {
    Trees t;
    make_dir(t.image / "etc", 0755);
    make_dir(t.upper / "etc", 0700);
    make_file(t.upper / "etc/hostname", "");
    EXPECT_EQ(t.left_out(), (Paths{"etc/hostname"}));
}

TEST(MountPlaceholders, WhatTheContainerWroteStays) {
    // Written after an umount: the container's own file, which a commit keeps.
    Trees t;
    make_dir(t.upper / "etc");
    make_file(t.upper / "etc/hostname", "mine\n");
    make_dir(t.upper / "dev");
    make_file(t.upper / "dev/data", "x");
    make_dir(t.upper / "proc");
    ::symlink("/x", (t.upper / "proc/link").c_str());
    EXPECT_EQ(t.left_out(), Paths{});
}

TEST(MountPlaceholders, OtherPathsAndNamesAreNeverLeftOut) {
    Trees t;
    make_file(t.upper / "hostname", "");
    make_file(t.upper / "etc/hosts.allow", "");
    make_dir(t.upper / "devices");
    make_dir(t.upper / "srv/etc");
    make_file(t.upper / "srv/etc/hosts", "");
    EXPECT_EQ(t.left_out(), Paths{});
}

}  // namespace
}  // namespace berth::views
