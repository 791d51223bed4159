#include "base/mountinfo.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth {

TEST(ParseMountinfo, ReadsFieldsAfterOptionalOnesAndDecodesEscapes) {
    auto entries = parse_mountinfo(
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "35 22 0:31 /a\\040b /mnt/with\\040space rw master:4 unbindable - tmpfs my\\040src rw\n"
        "garbage line\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].mount_point, "/");
    EXPECT_EQ(entries[0].fstype, "ext4");
    EXPECT_EQ(entries[1].root, "/a b");
    EXPECT_EQ(entries[1].mount_point, "/mnt/with space");
    EXPECT_EQ(entries[1].fstype, "tmpfs");
    EXPECT_EQ(entries[1].source, "my src");
    EXPECT_EQ(entries[1].super_options, "rw");
}

TEST(MountPointsUnder, DeepestFirstAndNotSiblingsWithTheSamePrefix) {
    TempDir dir("berth-mountinfo-test");
    std::string file = dir / "mountinfo";
    ASSERT_TRUE(write_file(file,
                           "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
                           "2 1 0:5 / /var/trash rw - tmpfs t rw\n"
                           "3 2 0:6 / /var/trash/x/rootfs rw - overlay o rw\n"
                           "4 1 0:7 / /var/trash-other rw - tmpfs t rw\n"
                           "5 3 0:8 / /var/trash/x/rootfs/proc rw - proc p rw\n"));
    auto points = mount_points_under("/var/trash/", file);
    ASSERT_TRUE(points) << points.error().message();
    EXPECT_EQ(*points, (std::vector<std::string>{"/var/trash/x/rootfs/proc", "/var/trash/x/rootfs",
                                                 "/var/trash"}));
}

}  // namespace berth
