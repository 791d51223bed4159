#include "runtime/cgroups/cgroup_layout.h"

#include <gtest/gtest.h>

#include "runtime/cgroups/cgroup_test_support.h"

namespace berth::runtime::cgroups {
namespace {

using testing::FakeHost;
using testing::put;
using testing::TempDir;

TEST(CgroupLayout, RootWithCgroupControllersIsV2) {
    auto host = FakeHost::v2();
    auto layout = detect_cgroup_layout(host.root(), host.paths().mountinfo);
    ASSERT_TRUE(layout) << layout.error().message();
    EXPECT_EQ(*layout, CgroupLayout::V2);
}

TEST(CgroupLayout, V1MountsWithoutCgroup2AreV1) {
    auto host = FakeHost::v1({"cpu,cpuacct", "memory", "devices"});
    auto layout = detect_cgroup_layout(host.root(), host.paths().mountinfo);
    ASSERT_TRUE(layout) << layout.error().message();
    EXPECT_EQ(*layout, CgroupLayout::V1);
}

TEST(CgroupLayout, UnifiedCgroup2MountBelowTheRootIsHybrid) {
    auto host = FakeHost::v1({"cpu", "memory"}, /*hybrid=*/true, "hugetlb");
    auto layout = detect_cgroup_layout(host.root(), host.paths().mountinfo);
    ASSERT_TRUE(layout) << layout.error().message();
    EXPECT_EQ(*layout, CgroupLayout::Hybrid);
}

TEST(CgroupLayout, NoCgroupMountIsAnError) {
    TempDir dir;
    put(dir / "mountinfo", "25 1 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n");
    auto layout = detect_cgroup_layout(dir / "cgroup", dir / "mountinfo");
    ASSERT_FALSE(layout);
    EXPECT_EQ(layout.error().kind(), ErrorKind::Unavailable);
}

TEST(CgroupLayout, MountsOutsideTheRootDoNotCount) {
    TempDir dir;
    put(dir / "mountinfo",
        "30 25 0:30 / /elsewhere/memory rw - cgroup cgroup rw,memory\n"
        "31 25 0:31 / " +
            (dir / "cgroup-other/x") + " rw - cgroup2 cgroup2 rw\n");
    EXPECT_FALSE(detect_cgroup_layout(dir / "cgroup", dir / "mountinfo"));
}

TEST(CgroupLayout, ProbeListsHierarchiesControllersAndOwnCgroups) {
    auto fake = FakeHost::v1({"cpu,cpuacct", "memory", "pids"}, /*hybrid=*/true, "hugetlb");
    fake.set_self_cgroup(
        "4:memory:/sandbox/abc\n3:pids:/\n2:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n");
    auto host = probe_cgroup_host(fake.paths());
    ASSERT_TRUE(host) << host.error().message();
    EXPECT_EQ(host->layout, CgroupLayout::Hybrid);
    EXPECT_EQ(host->root, fake.root());
    ASSERT_EQ(host->v1.size(), 4u);
    EXPECT_EQ(host->v1[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(host->v1[0].mount_point, fake.root() + "/cpu,cpuacct");
    EXPECT_EQ(host->v1[3].controllers, (std::vector<std::string>{"name=systemd"}));
    ASSERT_NE(host->mount_of("cpuacct"), nullptr);
    EXPECT_EQ(host->mount_of("cpuacct")->mount_point, fake.root() + "/cpu,cpuacct");
    EXPECT_EQ(host->mount_of("blkio"), nullptr);
    EXPECT_EQ(host->unified, fake.root() + "/unified");
    EXPECT_EQ(host->unified_controllers, (std::vector<std::string>{"hugetlb"}));
    EXPECT_TRUE(host->unified_has("hugetlb"));
    EXPECT_EQ(host->own.at("memory"), "/sandbox/abc");
    EXPECT_EQ(host->own.at("cpuacct"), "/");
    EXPECT_EQ(host->own.at(""), "/");
}

TEST(CgroupLayout, ProbeOfV2UsesTheRootAsUnified) {
    auto fake = FakeHost::v2("cpu memory pids", "/user.slice/session-1.scope");
    auto host = probe_cgroup_host(fake.paths());
    ASSERT_TRUE(host) << host.error().message();
    EXPECT_EQ(host->layout, CgroupLayout::V2);
    EXPECT_EQ(host->unified, fake.root());
    EXPECT_TRUE(host->v1.empty());
    EXPECT_EQ(host->unified_controllers, (std::vector<std::string>{"cpu", "memory", "pids"}));
    EXPECT_EQ(host->own.at(""), "/user.slice/session-1.scope");
}

TEST(CgroupLayout, MountinfoParserDecodesEscapesAndSkipsOptionalFields) {
    auto entries = parse_cgroup_mountinfo(
        "29 25 0:25 / /sys/fs/cgroup/with\\040space rw,nosuid shared:4 master:1 - cgroup cgroup "
        "rw,cpu,cpuacct\n"
        "30 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "31 25 0:27 / /proc rw - proc proc rw\n"
        "garbage\n");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].mount_point, "/sys/fs/cgroup/with space");
    EXPECT_EQ(entries[0].fstype, "cgroup");
    EXPECT_EQ(entries[0].super_options, "rw,cpu,cpuacct");
    EXPECT_EQ(entries[1].root, "/docker/abc");
}

TEST(CgroupLayout, ProcCgroupParser) {
    auto own = parse_proc_cgroup("9:name=systemd:/init.scope\n3:cpu,cpuacct:/a:b\n0::/x/y\n");
    EXPECT_EQ(own.at("name=systemd"), "/init.scope");
    EXPECT_EQ(own.at("cpu"), "/a:b");
    EXPECT_EQ(own.at("cpuacct"), "/a:b");
    EXPECT_EQ(own.at(""), "/x/y");
}

TEST(CgroupLayout, ThisHostIsDetectedConsistently) {
    auto host = probe_cgroup_host();
    if (!host) GTEST_SKIP() << "no cgroups here: " << host.error().message();
    if (host->layout == CgroupLayout::V2) {
        EXPECT_EQ(host->unified, "/sys/fs/cgroup");
    } else {
        EXPECT_FALSE(host->v1.empty());
        EXPECT_EQ(host->layout == CgroupLayout::Hybrid, !host->unified.empty());
    }
}

}  // namespace
}  // namespace berth::runtime::cgroups
