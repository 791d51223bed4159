#include "runtime/cgroups/cgroup_hybrid.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroups/cgroup_test_support.h"
#include "runtime/cgroups/fake_cgroup_io.h"

namespace berth::runtime::cgroups {
namespace {

using testing::contents;
using testing::FakeHost;
using testing::put;
using testing::run_device_filter;

// This project's CI machine: v1 controllers, hugetlb only in the unified hierarchy.
class CgroupHybridTest : public ::testing::Test {
  protected:
    CgroupHybridTest()
        : host_(FakeHost::v1(
              {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"},
              /*hybrid=*/true, "hugetlb")),
          io_(std::make_shared<FakeCgroupIo>()) {}

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

TEST_F(CgroupHybridTest, JoinsV1HierarchiesAndTheUnifiedOne) {
    auto m = manager();
    EXPECT_EQ(m->layout(), CgroupLayout::Hybrid);
    EXPECT_EQ(m->paths().at(""), in("unified"));
    EXPECT_EQ(m->paths().at("memory"), in("memory"));
    ASSERT_TRUE(m->create());
    EXPECT_TRUE(io_->exists(in("unified")));
    EXPECT_EQ(contents(host_.root() + "/unified/cgroup.subtree_control"), "+hugetlb");
    ASSERT_TRUE(m->add_process(321));
    for (const auto& [controller, dir] : m->paths())
        EXPECT_EQ(contents(dir + "/cgroup.procs"), "321") << controller;
}

TEST_F(CgroupHybridTest, JoinAtBirthOpensV1TasksFilesAndTheUnifiedDirectory) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    for (const auto& [controller, dir] : m->paths())
        if (!controller.empty()) put(dir + "/tasks", "");
    auto join = m->prepare_join_at_birth();
    ASSERT_TRUE(join) << join.error().message();
    ASSERT_TRUE(join->clone_into.valid());
    struct stat st {};
    ASSERT_EQ(::fstat(join->clone_into.get(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    // One `tasks` file per v1 hierarchy, each written through its fd as the child would.
    EXPECT_EQ(join->self_join.size(), m->paths().size() - 1);
    for (const auto& fd : join->self_join)
        ASSERT_EQ(::write(fd.get(), "0", 1), 1);
    for (const auto& [controller, dir] : m->paths()) {
        if (!controller.empty()) {
            EXPECT_EQ(contents(dir + "/tasks"), "0") << controller;
        }
    }
}

TEST_F(CgroupHybridTest, JoinAtBirthNeedsTheCgroupMade) {
    auto m = manager();
    EXPECT_FALSE(m->prepare_join_at_birth());
}

TEST_F(CgroupHybridTest, EachLimitGoesWhereItsControllerIs) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto applied = m->apply(Json::parse(R"({
        "memory": {"limit": 1048576},
        "devices": [{"allow": false, "access": "rwm"},
                    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "unified": {"hugetlb.1GB.max": "0"}})"));
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_EQ(contents(in("memory", "memory.limit_in_bytes")), "1048576");
    EXPECT_EQ(contents(in("unified", "memory.max")), "<missing>");
    // hugetlb exists only in the unified hierarchy here.
    EXPECT_EQ(contents(in("unified", "hugetlb.2MB.max")), "4194304");
    EXPECT_EQ(contents(in("unified", "hugetlb.1GB.max")), "0");
    // Devices through the v1 controller, no eBPF program.
    EXPECT_EQ(io_->writes_to(in("devices", "devices.allow")),
              (std::vector<std::string>{"c 1:3 rwm"}));
    EXPECT_TRUE(io_->device_programs.empty());
}

TEST_F(CgroupHybridTest, UnifiedKeysOfV1ControllersAreRefused) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    auto applied = m->apply(Json::parse(R"({"unified": {"memory.high": "1"}})"));
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().kind(), ErrorKind::Unsupported);
    EXPECT_TRUE(m->apply(Json::parse(R"({"unified": {"cgroup.max.descendants": "10"}})")));
}

TEST_F(CgroupHybridTest, WithoutV1DevicesTheUnifiedCgroupGetsAnEbpfProgram) {
    FakeHost bare = FakeHost::v1({"memory"}, /*hybrid=*/true, "");
    auto m = make_cgroup_manager(bare.probe(), {"/berth/abc"}, io_).value();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->apply(Json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})")));
    std::string unified = bare.root() + "/unified/berth/abc";
    ASSERT_EQ(io_->device_programs.count(unified), 1u);
    EXPECT_EQ(run_device_filter(io_->device_programs.at(unified), BPF_DEVCG_DEV_CHAR,
                                BPF_DEVCG_ACC_READ, 1, 3),
              0);
    // And nothing has hugetlb there.
    auto hugetlb =
        m->apply(Json::parse(R"({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}]})"));
    ASSERT_FALSE(hugetlb);
    EXPECT_EQ(hugetlb.error().kind(), ErrorKind::Unsupported);
}

TEST_F(CgroupHybridTest, KillAllPrefersTheUnifiedCgroupKill) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("devices", "cgroup.procs"), "55\n");
    put(in("unified", "cgroup.kill"), "");
    ASSERT_TRUE(m->kill_all(SIGKILL));
    EXPECT_EQ(io_->writes_to(in("unified", "cgroup.kill")), (std::vector<std::string>{"1"}));
    EXPECT_TRUE(io_->signals.empty());
    ASSERT_TRUE(m->kill_all(SIGHUP));
    EXPECT_EQ(io_->signals, (std::vector<std::pair<pid_t, int>>{{55, SIGHUP}}));
}

TEST_F(CgroupHybridTest, FreezeUsesTheV1Freezer) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    ASSERT_TRUE(m->freeze());
    EXPECT_EQ(contents(in("freezer", "freezer.state")), "FROZEN");
    EXPECT_EQ(m->freezer_state().value(), FreezerState::Frozen);
    ASSERT_TRUE(m->thaw());
    EXPECT_EQ(contents(in("freezer", "freezer.state")), "THAWED");
}

TEST_F(CgroupHybridTest, StatsIncludeUnifiedHugetlb) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("memory", "memory.usage_in_bytes"), "4096\n");
    put(in("memory", "memory.limit_in_bytes"), "1048576\n");
    put(in("unified", "hugetlb.2MB.max"), "4194304\n");
    put(in("unified", "hugetlb.2MB.current"), "2097152\n");
    put(in("unified", "hugetlb.2MB.events"), "max 2\n");
    auto stats = m->stats();
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_EQ(stats->memory.usage.usage, 4096u);
    ASSERT_EQ(stats->hugetlb.count("2MB"), 1u);
    EXPECT_EQ(stats->hugetlb.at("2MB").usage, 2097152u);
    EXPECT_EQ(stats->hugetlb.at("2MB").failcnt, 2u);
}

TEST_F(CgroupHybridTest, DestroyRemovesBoth) {
    auto m = manager();
    ASSERT_TRUE(m->create());
    put(in("devices", "cgroup.procs"), "");
    ASSERT_TRUE(m->destroy());
    EXPECT_FALSE(m->exists());
    EXPECT_FALSE(io_->exists(in("unified")));
    auto reopened = open_cgroup_manager(host_.probe(), m->paths(), io_);
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ((*reopened)->layout(), CgroupLayout::Hybrid);
}

}  // namespace
}  // namespace berth::runtime::cgroups
