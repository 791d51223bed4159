#include "runtime/cgroups/cgroup_v2.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "runtime/cgroups/cgroup_test_support.h"
#include "runtime/cgroups/fake_cgroup_io.h"

namespace berth::runtime::cgroups {
namespace {

using testing::contents;
using testing::FakeHost;
using testing::put;
using testing::run_device_filter;

// A v1-style resources object as docker would send it, minus what v2 does not have.
Json representative() {
    return Json::parse(R"({
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
              "cpus": "0-1", "mems": "0", "idle": 0},
      "pids": {"limit": 100},
      "blockIO": {"weight": 500,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 600}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                  "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"memory.high": "1073741824", "io.max": "8:32 rbps=10\n8:48 wbps=20"}
    })");
}

class CgroupV2Test : public ::testing::Test {
  protected:
    CgroupV2Test() : host_(FakeHost::v2()), io_(std::make_shared<FakeCgroupIo>()) {}

    std::unique_ptr<CgroupManager> manager(std::string_view cgroups_path = "/berth/abc") {
        auto path = resolve_cgroup_path(cgroups_path, "abc").value();
        auto m = make_cgroup_manager(host_.probe(), path, io_);
        EXPECT_TRUE(m) << m.error().message();
        return std::move(m).value();
    }
    std::string dir() const { return host_.root() + "/berth/abc"; }
    std::string file(std::string_view name) const { return dir() + "/" + std::string(name); }

    FakeHost host_;
    std::shared_ptr<FakeCgroupIo> io_;
};

TEST_F(CgroupV2Test, CreateMakesTheDirectoryAndDelegatesControllersOnTheWay) {
    auto m = manager();
    EXPECT_EQ(m->layout(), CgroupLayout::V2);
    EXPECT_EQ(m->path(), dir());
    EXPECT_FALSE(m->exists());
    ASSERT_TRUE(m->create());
    EXPECT_TRUE(m->exists());
    const std::string all = "+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc";
    EXPECT_EQ(contents(host_.root() + "/cgroup.subtree_control"), all);
    EXPECT_EQ(contents(host_.root() + "/berth/cgroup.subtree_control"), all);
    EXPECT_TRUE(io_->writes_to(file("cgroup.subtree_control")).empty());  // not the leaf
    EXPECT_EQ(m->paths(), (std::map<std::string, std::string>{{"", dir()}}));
    ASSERT_TRUE(m->create());  // idempotent
}

TEST_F(CgroupV2Test, ApplyWritesConvertedValues) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto applied = m->apply(representative());
    ASSERT_TRUE(applied) << applied.error().message();

    EXPECT_EQ(contents(file("memory.max")), "536870912");
    EXPECT_EQ(contents(file("memory.low")), "268435456");
    EXPECT_EQ(contents(file("memory.swap.max")), "536870912");  // memory+swap − memory
    EXPECT_EQ(contents(file("cpu.weight")), "20");              // 1 + (512−2)·9999/262142
    EXPECT_EQ(contents(file("cpu.max")), "50000 100000");
    EXPECT_EQ(contents(file("cpu.max.burst")), "1000");
    EXPECT_EQ(contents(file("cpu.idle")), "0");
    EXPECT_EQ(contents(file("cpuset.cpus")), "0-1");
    EXPECT_EQ(contents(file("cpuset.mems")), "0");
    EXPECT_EQ(contents(file("pids.max")), "100");
    EXPECT_EQ(io_->writes_to(file("io.weight")), (std::vector<std::string>{"4950", "8:0 5960"}));
    EXPECT_EQ(io_->writes_to(file("io.max")),
              (std::vector<std::string>{"8:0 rbps=1048576 wbps=2097152", "8:16 wiops=300",
                                        "8:32 rbps=10", "8:48 wbps=20"}));
    EXPECT_EQ(contents(file("hugetlb.2MB.max")), "209715200");
    EXPECT_EQ(contents(file("rdma.max")), "mlx5_1 hca_handle=3 hca_object=10000");
    EXPECT_EQ(contents(file("memory.high")), "1073741824");
    // No such thing as net_cls on v2: ignored, as by runc.
    EXPECT_EQ(contents(file("net_cls.classid")), "<missing>");

    // Devices: an eBPF program on the cgroup that allows c 1:3 rw and nothing else.
    ASSERT_EQ(io_->device_programs.count(dir()), 1u);
    const auto& program = io_->device_programs.at(dir());
    EXPECT_EQ(run_device_filter(program, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 1);
    EXPECT_EQ(run_device_filter(program, BPF_DEVCG_DEV_CHAR,
                                BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE, 1, 3),
              1);
    EXPECT_EQ(run_device_filter(program, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_MKNOD, 1, 3), 0);
    EXPECT_EQ(run_device_filter(program, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 5), 0);
    EXPECT_EQ(run_device_filter(program, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_READ, 1, 3), 0);
}

TEST_F(CgroupV2Test, AnUpdateTouchesOnlyWhatItNames) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->apply(Json::parse(R"({"pids": {"limit": -1}})")));
    EXPECT_EQ(contents(file("pids.max")), "max");
    ASSERT_EQ(io_->writes.size(), 3u);  // two subtree_control writes, then pids.max
    EXPECT_TRUE(io_->device_programs.empty());
}

TEST_F(CgroupV2Test, UnlimitedMemoryMeansUnlimitedSwap) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("memory.swap.max"), "0");
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": -1}})")));
    EXPECT_EQ(contents(file("memory.max")), "max");
    EXPECT_EQ(contents(file("memory.swap.max")), "max");
    // memory == memory+swap: no swap at all.
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": 1000, "swap": 1000}})")));
    EXPECT_EQ(contents(file("memory.swap.max")), "0");
    // Swap without a memory limit cannot be converted.
    EXPECT_FALSE(m->apply(Json::parse(R"({"memory": {"swap": 1000}})")));
}

TEST_F(CgroupV2Test, NoSwapAccountingSkipsMaxAndZero) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->apply(Json::parse(R"({"memory": {"limit": -1}})")));
    EXPECT_EQ(contents(file("memory.swap.max")), "<missing>");
    EXPECT_EQ(contents(file("memory.max")), "max");
}

TEST_F(CgroupV2Test, QuotaWithoutPeriodUsesTheDefaultPeriod) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->apply(Json::parse(R"({"cpu": {"quota": 25000}})")));
    EXPECT_EQ(contents(file("cpu.max")), "25000 100000");
    ASSERT_TRUE(m->apply(Json::parse(R"({"cpu": {"quota": -1, "period": 50000}})")));
    EXPECT_EQ(contents(file("cpu.max")), "max 50000");
}

TEST_F(CgroupV2Test, BfqTakesWeightsAsTheyAre) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("io.bfq.weight"), "default 100\n");
    ASSERT_TRUE(m->apply(Json::parse(
        R"({"blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 600}]}})")));
    EXPECT_EQ(io_->writes_to(file("io.bfq.weight")), (std::vector<std::string>{"500", "8:0 600"}));
    EXPECT_TRUE(io_->writes_to(file("io.weight")).empty());
}

TEST_F(CgroupV2Test, HugetlbReservationsWhereTheKernelHasThem) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("hugetlb.1GB.rsvd.max"), "max");
    ASSERT_TRUE(m->apply(Json::parse(R"({"hugepageLimits": [{"pageSize": "1GB", "limit": 0}]})")));
    EXPECT_EQ(contents(file("hugetlb.1GB.max")), "0");
    EXPECT_EQ(contents(file("hugetlb.1GB.rsvd.max")), "0");
}

TEST_F(CgroupV2Test, MissingControllerIsUnsupported) {
    FakeHost small = FakeHost::v2("cpu pids");
    auto m = make_cgroup_manager(small.probe(), {"/berth/abc"}, io_).value();
    ASSERT_TRUE(m->create());
    EXPECT_EQ(contents(small.root() + "/cgroup.subtree_control"), "+cpu +pids");
    auto applied = m->apply(Json::parse(R"({"memory": {"limit": 1000}, "pids": {"limit": 5}})"));
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().kind(), ErrorKind::Unsupported);
    EXPECT_NE(applied.error().message().find("memory"), std::string::npos);
}

TEST_F(CgroupV2Test, UnifiedKeyOfAnUnavailableControllerSaysSo) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    io_->fail_writes[file("foo.bar")] = ENOENT;
    auto applied = m->apply(Json::parse(R"({"unified": {"foo.bar": "1"}})"));
    ASSERT_FALSE(applied);
    EXPECT_NE(applied.error().message().find("controller \"foo\" not available"), std::string::npos)
        << applied.error().message();
}

TEST_F(CgroupV2Test, DevicesWithoutBpfAreAnErrorUnlessEverythingIsAllowed) {
    struct NoBpf : FakeCgroupIo {
        Result<void> install_device_filter(const std::string&, const BpfProgram&) override {
            return fail_errno("bpf", EPERM);
        }
    };
    auto io = std::make_shared<NoBpf>();
    auto m = make_cgroup_manager(host_.probe(), {"/berth/abc"}, io).value();
    ASSERT_TRUE(m->create());
    EXPECT_FALSE(m->apply(Json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})")));
    EXPECT_TRUE(m->apply(Json::parse(R"({"devices": [{"allow": true, "access": "rwm"}]})")));
}

TEST_F(CgroupV2Test, AddProcessWritesCgroupProcsAndRetriesEinval) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->add_process(4242));
    EXPECT_EQ(contents(file("cgroup.procs")), "4242");
    io_->fail_writes[file("cgroup.procs")] = EINVAL;
    EXPECT_FALSE(m->add_process(4243));
    EXPECT_EQ(io_->writes_to(file("cgroup.procs")).size(), 6u);  // 1 + 5 attempts
}

TEST_F(CgroupV2Test, FreezeWaitsForCgroupEventsAndThaws) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    EXPECT_EQ(m->freeze().error().kind(), ErrorKind::Unsupported);  // no cgroup.freeze
    put(file("cgroup.freeze"), "0\n");
    put(file("cgroup.events"), "populated 1\nfrozen 1\n");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Thawed);
    ASSERT_TRUE(m->freeze());
    EXPECT_EQ(contents(file("cgroup.freeze")), "1");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Frozen);
    ASSERT_TRUE(m->thaw());
    EXPECT_EQ(contents(file("cgroup.freeze")), "0");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Thawed);
}

TEST_F(CgroupV2Test, PidsAreCollectedRecursively) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("cgroup.procs"), "10\n11\n");
    put(file("sub/cgroup.procs"), "12\n");
    put(file("sub/deeper/cgroup.procs"), "");
    EXPECT_EQ(m->pids().value(), (std::vector<pid_t>{10, 11, 12}));
}

TEST_F(CgroupV2Test, KillAllUsesCgroupKillForSigkill) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("cgroup.procs"), "10\n11\n");
    put(file("cgroup.kill"), "");
    ASSERT_TRUE(m->kill_all(SIGKILL));
    EXPECT_EQ(io_->writes_to(file("cgroup.kill")), (std::vector<std::string>{"1"}));
    EXPECT_TRUE(io_->signals.empty());
}

TEST_F(CgroupV2Test, KillAllSignalsEachPidWhileFrozen) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("cgroup.procs"), "10\n11\n");
    put(file("cgroup.freeze"), "0\n");
    put(file("cgroup.events"), "frozen 1\n");
    ASSERT_TRUE(m->kill_all(SIGTERM));
    EXPECT_EQ(io_->signals, (std::vector<std::pair<pid_t, int>>{{10, SIGTERM}, {11, SIGTERM}}));
    EXPECT_EQ(io_->writes_to(file("cgroup.freeze")), (std::vector<std::string>{"1", "0"}));
}

TEST_F(CgroupV2Test, OomKillCountFromMemoryEvents) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    EXPECT_EQ(m->oom_kill_count().value(), 0u);
    put(file("memory.events"), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n");
    EXPECT_EQ(m->oom_kill_count().value(), 1u);
}

TEST_F(CgroupV2Test, DestroyRemovesChildrenFirstAndToleratesAbsence) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("cgroup.procs"), "");
    put(file("sub/cgroup.procs"), "");
    ASSERT_TRUE(m->destroy());
    EXPECT_FALSE(m->exists());
    EXPECT_EQ(io_->removed_dirs, (std::vector<std::string>{file("sub"), dir()}));
    EXPECT_TRUE(m->destroy());  // already gone
}

TEST_F(CgroupV2Test, DestroyKillsLeftovers) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(file("cgroup.procs"), "");
    put(file("cgroup.kill"), "");
    put(file("sub/cgroup.procs"), "77\n");
    // The fake kernel does not kill: empty the list once cgroup.kill was written.
    struct Killing : FakeCgroupIo {
        Result<void> write(const std::string& path, std::string_view data) override {
            TRY(FakeCgroupIo::write(path, data));
            if (path.ends_with("/cgroup.kill")) kill_file = path;
            return {};
        }
        Result<std::string> read(const std::string& path) override {
            if (!kill_file.empty() && path.ends_with("/cgroup.procs")) return std::string();
            return FakeCgroupIo::read(path);
        }
        std::string kill_file;
    };
    auto io = std::make_shared<Killing>();
    auto killing = make_cgroup_manager(host_.probe(), {"/berth/abc"}, io).value();
    ASSERT_TRUE(killing->destroy());
    EXPECT_EQ(io->writes_to(file("cgroup.kill")), (std::vector<std::string>{"1"}));
    EXPECT_FALSE(killing->exists());
}

TEST_F(CgroupV2Test, RelativePathsGoBelowTheParentOfOurCgroup) {
    host_.set_self_cgroup("0::/user.slice/session-1.scope\n");
    auto m = manager("berth/abc");
    EXPECT_EQ(m->path(), host_.root() + "/user.slice/berth/abc");
}

TEST_F(CgroupV2Test, ReopenFromSavedPaths) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto reopened = open_cgroup_manager(host_.probe(), m->paths(), io_);
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ((*reopened)->path(), dir());
    EXPECT_FALSE(open_cgroup_manager(host_.probe(), {{"", "/etc"}}, io_));
    EXPECT_FALSE(open_cgroup_manager(host_.probe(), {{"", host_.root() + "/../x"}}, io_));
    EXPECT_FALSE(open_cgroup_manager(host_.probe(), {{"memory", dir()}}, io_));
}

}  // namespace
}  // namespace berth::runtime::cgroups
