#include "views/container_changes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/fs.h"
#include "image/layer_testing.h"

namespace berth::views {
namespace {

using image::testing::TempDir;

void make_file(const std::string& path, std::string_view content, time_t mtime = 1600000000) {
    ASSERT_TRUE(mkdir_all(path.substr(0, path.rfind('/'))));
    ASSERT_TRUE(write_file(path, content));
    timespec times[2] = {{mtime, 0}, {mtime, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
}

void make_dir(const std::string& path, mode_t mode = 0755) {
    ASSERT_TRUE(mkdir_all(path));
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

void whiteout(const std::string& path) {
    ASSERT_TRUE(mkdir_all(path.substr(0, path.rfind('/'))));
    ASSERT_EQ(::mknod(path.c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
}

void opaque(const std::string& dir) {
    ASSERT_EQ(::setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
}

// "C /etc" lines, as docker diff prints them.
std::vector<std::string> lines(const Json& changes) {
    std::vector<std::string> out;
    if (changes.is_null()) return out;
    for (const auto& c : changes) {
        int kind = c["Kind"];
        out.push_back(std::string(kind == 0   ? "C "
                                  : kind == 1 ? "A "
                                              : "D ") +
                      c["Path"].get<std::string>());
    }
    return out;
}

struct Trees {
    TempDir upper, top, bottom;
    Json diff() {
        auto changes = container_changes(upper.path(), {top.path(), bottom.path()});
        EXPECT_TRUE(changes) << changes.error().message();
        return changes ? *changes : Json();
    }
};

TEST(ContainerChanges, AddModifyDeleteAndParents) {
    Trees t;
    make_file(t.bottom / "etc/passwd", "root:x:0:0\n");
    make_file(t.bottom / "etc/hosts", "127.0.0.1\n");
    make_file(t.bottom / "var/log/old", "x");
    make_dir(t.upper / "etc");  // copied up, same metadata
    make_file(t.upper / "etc/passwd", "root:x:0:0\nme:x:1:1\n");
    whiteout(t.upper / "var/log/old");
    make_file(t.upper / "tmp/new", "n");
    make_file(t.upper / "newdir/sub/file", "f");
    EXPECT_EQ(lines(t.diff()),
              (std::vector<std::string>{"C /etc", "C /etc/passwd", "A /newdir", "A /newdir/sub",
                                        "A /newdir/sub/file", "A /tmp", "A /tmp/new", "C /var",
                                        "C /var/log", "D /var/log/old"}));
}

TEST(ContainerChanges, NothingChangedIsNull) {
    Trees t;
    make_file(t.bottom / "etc/passwd", "p");
    make_dir(t.upper / "etc");  // a copy-up of a directory alone is no change
    EXPECT_TRUE(t.diff().is_null());
}

TEST(ContainerChanges, MountTargetsAreNotShown) {
    // What the runtime made to mount over: docker keeps those in its init layer.
    Trees t;
    make_file(t.bottom / "etc/passwd", "p");
    make_dir(t.upper / "etc");
    for (const char* name : {"etc/hostname", "etc/hosts", "etc/resolv.conf"})
        make_file(t.upper / name, "");
    for (const char* dir : {"dev", "proc", "sys"})
        make_dir(t.upper / dir);
    EXPECT_TRUE(t.diff().is_null());
    // A real change in /etc still shows, with its parent.
    make_file(t.upper / "etc/motd", "hi");
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"C /etc", "A /etc/motd"}));
}

TEST(ContainerChanges, AMountTargetTheContainerWroteIsShown) {
    // Written after an umount: the container's own change, which docker commit keeps too.
    Trees t;
    make_file(t.bottom / "etc/passwd", "p");
    make_dir(t.upper / "etc");
    make_file(t.upper / "etc/hostname", "mine\n");
    make_file(t.upper / "etc/hosts", "");
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"C /etc", "A /etc/hostname"}));
}

TEST(ContainerChanges, AnEtcMadeOnlyForMountTargetsIsNotShown) {
    Trees t;
    make_file(t.bottom / "bin/sh", "x");
    make_dir(t.upper / "etc");
    make_file(t.upper / "etc/hosts", "");
    EXPECT_TRUE(t.diff().is_null());
    make_file(t.upper / "etc/added", "a");
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"A /etc", "A /etc/added"}));
}

TEST(ContainerChanges, OpaqueDirectoryDeletesWhatItHides) {
    Trees t;
    make_file(t.bottom / "opt/a", "a");
    make_file(t.bottom / "opt/b", "b");
    make_file(t.upper / "opt/b", "b");  // same size, mode and mtime: unchanged
    make_file(t.upper / "opt/c", "c");
    opaque(t.upper / "opt");
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"C /opt", "D /opt/a", "A /opt/c"}));
}

TEST(ContainerChanges, LayersMergeWithWhiteoutsAndOpaques) {
    Trees t;
    make_file(t.bottom / "app/gone", "old");
    make_file(t.bottom / "app/kept", "k");
    make_file(t.bottom / "lib/hidden", "h");
    whiteout(t.top / "app/gone");  // the image itself deleted it
    make_file(t.top / "lib/x", "x");
    opaque(t.top / "lib");                    // and hid lib/hidden
    make_file(t.upper / "app/gone", "new");   // back again: added, not modified
    make_file(t.upper / "lib/hidden", "h2");  // not in the image either
    whiteout(t.upper / "lib/x");
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"C /app", "A /app/gone", "C /lib",
                                                         "A /lib/hidden", "D /lib/x"}));
}

TEST(ContainerChanges, TypeChangesAndTimes) {
    Trees t;
    make_file(t.bottom / "d/child", "c");
    make_file(t.bottom / "f", "same", 1600000000);
    make_file(t.bottom / "g", "same", 1600000000);
    make_file(t.upper / "d", "now a file");  // directory became a file: its children not listed
    make_file(t.upper / "f", "same", 1600000000);
    // Same second, sub-seconds on one side only: tar layers lose them, so no change.
    timespec times[2] = {{1600000000, 5}, {1600000000, 5}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (t.upper / "f").c_str(), times, 0), 0);
    make_file(t.upper / "g", "same", 1700000000);
    EXPECT_EQ(lines(t.diff()), (std::vector<std::string>{"C /d", "C /g"}));
}

TEST(ContainerChanges, ModeOwnerAndSymlinksNotFollowed) {
    Trees t;
    TempDir outside;
    make_file(outside / "secret/file", "s");
    make_file(t.bottom / "bin/tool", "t");
    make_dir(t.bottom / "etc");
    make_file(t.upper / "bin/tool", "t");
    ASSERT_EQ(::chmod((t.upper / "bin/tool").c_str(), 04755), 0);
    make_dir(t.upper / "owned");
    make_dir(t.bottom / "owned");
    ASSERT_EQ(::chown((t.upper / "owned").c_str(), 1000, 1000), 0);
    // The container replaced /etc by a link out of its root: a modification, never walked.
    ASSERT_EQ(::symlink(outside.path().c_str(), (t.upper / "etc").c_str()), 0);
    EXPECT_EQ(lines(t.diff()),
              (std::vector<std::string>{"C /bin", "C /bin/tool", "C /etc", "C /owned"}));
}

TEST(ContainerChanges, MissingUpperIsAnError) {
    TempDir lower;
    auto changes = container_changes(lower / "nope", {lower.path()});
    ASSERT_FALSE(changes);
    EXPECT_NE(changes.error().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace berth::views
