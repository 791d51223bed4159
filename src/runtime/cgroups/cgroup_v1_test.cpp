#include "runtime/cgroups/cgroup_v1.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "runtime/cgroups/cgroup_test_support.h"
#include "runtime/cgroups/fake_cgroup_io.h"

namespace berth::runtime::cgroups {
namespace {

using testing::contents;
using testing::FakeHost;
using testing::put;

Json representative() {
    return Json::parse(R"({
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
                  {"allow": true, "type": "c", "major": 136, "access": "rwm"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "swappiness": 10, "disableOOMKiller": true},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "0-1", "mems": "0", "idle": 0},
      "pids": {"limit": 100},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
                  "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300},
                                              {"major": 8, "minor": 32, "rate": 400}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5},
                                                      {"name": "lo", "priority": 1}]}
    })");
}

class CgroupV1Test : public ::testing::Test {
  protected:
    CgroupV1Test()
        : host_(FakeHost::v1({"cpu,cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                              "pids", "net_cls,net_prio", "hugetlb"})),
          io_(std::make_shared<FakeCgroupIo>()) {
        // What the kernel puts in a new cgroup and the managers read back.
        io_->new_dir_files[host_.root() + "/memory"] = {
            {"memory.limit_in_bytes", "9223372036854771712\n"},
            {"memory.memsw.limit_in_bytes", "9223372036854771712\n"}};
        io_->new_dir_files[host_.root() + "/cpuset"] = {{"cpuset.cpus", "\n"},
                                                        {"cpuset.mems", "\n"}};
        put(host_.root() + "/cpuset/cpuset.cpus", "0-3\n");
        put(host_.root() + "/cpuset/cpuset.mems", "0\n");
    }

    std::unique_ptr<CgroupManager> manager(std::string_view cgroups_path = "/berth/abc") {
        auto path = resolve_cgroup_path(cgroups_path, "abc").value();
        auto m = make_cgroup_manager(host_.probe(), path, io_);
        EXPECT_TRUE(m) << m.error().message();
        return std::move(m).value();
    }
    std::string in(std::string_view hierarchy, std::string_view file = "") const {
        std::string dir = host_.root() + "/" + std::string(hierarchy) + "/berth/abc";
        return file.empty() ? dir : dir + "/" + std::string(file);
    }

    FakeHost host_;
    std::shared_ptr<FakeCgroupIo> io_;
};

TEST_F(CgroupV1Test, OneDirectoryPerHierarchyComountsShared) {
    auto m = manager();
    EXPECT_EQ(m->layout(), CgroupLayout::V1);
    EXPECT_EQ(m->path(), in("devices"));
    auto paths = m->paths();
    EXPECT_EQ(paths.at("cpu"), in("cpu,cpuacct"));
    EXPECT_EQ(paths.at("cpuacct"), in("cpu,cpuacct"));
    EXPECT_EQ(paths.at("net_prio"), in("net_cls,net_prio"));
    EXPECT_EQ(paths.at("name=systemd"), in("systemd"));
    EXPECT_EQ(paths.size(), 12u);
}

TEST_F(CgroupV1Test, CreateMakesEveryDirectoryAndFillsCpusetFromTheParent) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    for (const auto& [controller, dir] : m->paths())
        EXPECT_TRUE(io_->exists(dir)) << controller;
    // New cpuset cgroups start empty; each level gets its parent's cpus and mems.
    EXPECT_EQ(contents(host_.root() + "/cpuset/berth/cpuset.cpus"), "0-3");
    EXPECT_EQ(contents(in("cpuset", "cpuset.cpus")), "0-3");
    EXPECT_EQ(contents(in("cpuset", "cpuset.mems")), "0");
}

TEST_F(CgroupV1Test, ApplyWritesEveryControllerLikeRunc) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto applied = m->apply(representative());
    ASSERT_TRUE(applied) << applied.error().message();

    EXPECT_EQ(contents(in("cpuset", "cpuset.cpus")), "0-1");
    EXPECT_EQ(contents(in("cpuset", "cpuset.mems")), "0");
    // A new cgroup allows every device: reset to deny-all, then the allows in order.
    EXPECT_EQ(io_->writes_to(in("devices", "devices.deny")),
              (std::vector<std::string>{"a *:* rwm"}));
    EXPECT_EQ(io_->writes_to(in("devices", "devices.allow")),
              (std::vector<std::string>{"c 1:3 rw", "c 136:* rwm"}));
    // Raising the limits: memory first (memsw must stay ≥ memory).
    EXPECT_EQ(io_->writes_to(in("memory", "memory.limit_in_bytes")),
              (std::vector<std::string>{"536870912"}));
    EXPECT_EQ(contents(in("memory", "memory.memsw.limit_in_bytes")), "1073741824");
    std::vector<std::string> order;
    for (const auto& w : io_->writes)
        if (w.path.find("limit_in_bytes") != std::string::npos) order.push_back(w.path);
    EXPECT_EQ(order, (std::vector<std::string>{in("memory", "memory.limit_in_bytes"),
                                               in("memory", "memory.memsw.limit_in_bytes"),
                                               in("memory", "memory.soft_limit_in_bytes"),
                                               in("hugetlb", "hugetlb.2MB.limit_in_bytes")}));
    EXPECT_EQ(contents(in("memory", "memory.soft_limit_in_bytes")), "268435456");
    EXPECT_EQ(contents(in("memory", "memory.oom_control")), "1");
    EXPECT_EQ(contents(in("memory", "memory.swappiness")), "10");

    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.shares")), "512");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.cfs_period_us")), "100000");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.cfs_quota_us")), "50000");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.cfs_burst_us")), "1000");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.idle")), "0");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.rt_period_us")), "1000000");
    EXPECT_EQ(contents(in("cpu,cpuacct", "cpu.rt_runtime_us")), "950000");

    EXPECT_EQ(contents(in("pids", "pids.max")), "100");

    // No blkio.weight (CFQ gone): BFQ's files.
    EXPECT_EQ(contents(in("blkio", "blkio.bfq.weight")), "500");
    EXPECT_EQ(contents(in("blkio", "blkio.leaf_weight")), "300");
    EXPECT_EQ(contents(in("blkio", "blkio.bfq.weight_device")), "8:0 600");
    EXPECT_EQ(contents(in("blkio", "blkio.leaf_weight_device")), "8:0 200");
    EXPECT_EQ(contents(in("blkio", "blkio.throttle.read_bps_device")), "8:0 1048576");
    EXPECT_EQ(contents(in("blkio", "blkio.throttle.write_bps_device")), "8:0 2097152");
    EXPECT_EQ(contents(in("blkio", "blkio.throttle.read_iops_device")), "8:0 100");
    EXPECT_EQ(io_->writes_to(in("blkio", "blkio.throttle.write_iops_device")),
              (std::vector<std::string>{"8:16 300", "8:32 400"}));

    EXPECT_EQ(contents(in("hugetlb", "hugetlb.2MB.limit_in_bytes")), "209715200");
    EXPECT_EQ(contents(in("hugetlb", "hugetlb.2MB.rsvd.limit_in_bytes")), "<missing>");
    EXPECT_EQ(contents(in("net_cls,net_prio", "net_cls.classid")), "1048577");
    EXPECT_EQ(io_->writes_to(in("net_cls,net_prio", "net_prio.ifpriomap")),
              (std::vector<std::string>{"eth0 5", "lo 1"}));
}

TEST_F(CgroupV1Test, CfqWeightFilesWhenPresent) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("blkio", "blkio.weight"), "500\n");
    ASSERT_TRUE(m->apply(Json::parse(
        R"({"blockIO": {"weight": 700, "weightDevice": [{"major": 8, "minor": 0, "weight": 600}]}})")));
    EXPECT_EQ(contents(in("blkio", "blkio.weight")), "700");
    EXPECT_EQ(contents(in("blkio", "blkio.weight_device")), "8:0 600");
}

TEST_F(CgroupV1Test, LoweringMemoryBelowTheCurrentLimitWritesMemoryFirst) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("memory", "memory.limit_in_bytes"), "1073741824\n");
    // New swap (600M) is below the current limit: memory first, then memsw.
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": 314572800, "swap": 629145600}})")));
    ASSERT_GE(io_->writes.size(), 2u);
    auto last_two =
        std::vector<std::string>{io_->writes[io_->writes.size() - 2].path, io_->writes.back().path};
    EXPECT_EQ(last_two, (std::vector<std::string>{in("memory", "memory.limit_in_bytes"),
                                                  in("memory", "memory.memsw.limit_in_bytes")}));
    // Above the current limit: memsw first.
    put(in("memory", "memory.limit_in_bytes"), "314572800\n");
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": 2147483648, "swap": 4294967296}})")));
    last_two = {io_->writes[io_->writes.size() - 2].path, io_->writes.back().path};
    EXPECT_EQ(last_two, (std::vector<std::string>{in("memory", "memory.memsw.limit_in_bytes"),
                                                  in("memory", "memory.limit_in_bytes")}));
}

TEST_F(CgroupV1Test, UnlimitedMemoryLiftsSwapToo) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": -1}})")));
    EXPECT_EQ(contents(in("memory", "memory.limit_in_bytes")), "-1");
    EXPECT_EQ(contents(in("memory", "memory.memsw.limit_in_bytes")), "-1");
}

TEST_F(CgroupV1Test, MemoryLimitBelowUsageSaysSo) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("memory", "memory.usage_in_bytes"), "5000\n");
    put(in("memory", "memory.max_usage_in_bytes"), "6000\n");
    io_->fail_writes[in("memory", "memory.limit_in_bytes")] = EBUSY;
    auto applied = m->apply(Json::parse(R"({"memory": {"limit": 4096}})"));
    ASSERT_FALSE(applied);
    EXPECT_NE(applied.error().message().find("current usage: 5000, peak usage: 6000"),
              std::string::npos)
        << applied.error().message();
}

TEST_F(CgroupV1Test, DeviceUpdateOfAnAllowListIsMinimal) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("devices", "devices.list"), "c 1:3 rw\nc 136:* rwm\n");
    ASSERT_TRUE(m->apply(Json::parse(R"({"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})")));
    EXPECT_TRUE(io_->writes_to(in("devices", "devices.deny")) ==
                (std::vector<std::string>{"c 136:* rwm"}));
    EXPECT_EQ(io_->writes_to(in("devices", "devices.allow")),
              (std::vector<std::string>{"c 1:3 m"}));
}

TEST_F(CgroupV1Test, UnifiedAndUnmountedControllersAreUnsupported) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto unified = m->apply(Json::parse(R"({"unified": {"memory.high": "1"}})"));
    ASSERT_FALSE(unified);
    EXPECT_EQ(unified.error().kind(), ErrorKind::Unsupported);
    auto rdma = m->apply(Json::parse(R"({"rdma": {"mlx5_1": {"hcaHandles": 3}}})"));
    ASSERT_FALSE(rdma);
    EXPECT_EQ(rdma.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(rdma.error().message().find("rdma"), std::string::npos);
}

TEST_F(CgroupV1Test, FreezeAndThaw) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("freezer", "freezer.state"), "THAWED\n");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Thawed);
    ASSERT_TRUE(m->freeze());
    EXPECT_EQ(contents(in("freezer", "freezer.state")), "FROZEN");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Frozen);
    put(in("freezer", "freezer.self_freezing"), "0\n");  // frozen by an ancestor only
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Thawed);
    ASSERT_TRUE(m->thaw());
    EXPECT_EQ(contents(in("freezer", "freezer.state")), "THAWED");
}

TEST_F(CgroupV1Test, KillAllSignalsEachPidFrozenAndThawsAfter) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("devices", "cgroup.procs"), "100\n200\n");
    put(in("freezer", "freezer.state"), "THAWED\n");
    ASSERT_TRUE(m->kill_all(SIGTERM));
    EXPECT_EQ(io_->signals, (std::vector<std::pair<pid_t, int>>{{100, SIGTERM}, {200, SIGTERM}}));
    EXPECT_EQ(io_->writes_to(in("freezer", "freezer.state")),
              (std::vector<std::string>{"FROZEN", "THAWED"}));
    // A paused container stays paused for a signal other than SIGKILL.
    io_->writes.clear();
    put(in("freezer", "freezer.state"), "FROZEN\n");
    ASSERT_TRUE(m->kill_all(SIGUSR1));
    EXPECT_EQ(io_->writes_to(in("freezer", "freezer.state")), (std::vector<std::string>{"FROZEN"}));
}

TEST_F(CgroupV1Test, OomKillCountFromOomControl) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("memory", "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
    EXPECT_EQ(m->oom_kill_count().value(), 4u);
}

TEST_F(CgroupV1Test, DestroyRemovesEveryHierarchy) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("devices", "cgroup.procs"), "");
    ASSERT_TRUE(m->destroy());
    for (const auto& [controller, dir] : m->paths())
        EXPECT_FALSE(io_->exists(dir)) << controller;
    EXPECT_TRUE(io_->exists(host_.root() + "/memory/berth"));  // parents stay
    EXPECT_TRUE(m->destroy());
}

TEST_F(CgroupV1Test, RelativePathsFollowOurCgroupInEachHierarchy) {
    host_.set_self_cgroup("3:memory:/process_api/123\n2:cpu,cpuacct:/\n1:name=systemd:/init\n");
    auto m = manager("berth/abc");
    auto paths = m->paths();
    EXPECT_EQ(paths.at("memory"), host_.root() + "/memory/process_api/123/berth/abc");
    EXPECT_EQ(paths.at("cpu"), host_.root() + "/cpu,cpuacct/berth/abc");
    EXPECT_EQ(paths.at("name=systemd"), host_.root() + "/systemd/init/berth/abc");
    EXPECT_EQ(paths.at("pids"), host_.root() + "/pids/berth/abc");  // not listed: the root
}

TEST_F(CgroupV1Test, ReopenFromSavedPaths) {
    auto m = manager();
    auto reopened = open_cgroup_manager(host_.probe(), m->paths(), io_);
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ((*reopened)->paths(), m->paths());
    auto bad = m->paths();
    bad["memory"] = host_.root() + "/cpuset/berth/abc";
    EXPECT_FALSE(open_cgroup_manager(host_.probe(), bad, io_));
}

}  // namespace
}  // namespace berth::runtime::cgroups
