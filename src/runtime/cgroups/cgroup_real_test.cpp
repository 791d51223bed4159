// The managers against this machine's real cgroupfs (root only). Each test makes its own cgroup
// below this process's cgroups and removes it again, whatever happens.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "runtime/cgroups/cgroup_manager.h"

namespace berth::runtime::cgroups {
namespace {

// A child that waits for a byte on a pipe, then opens /dev/null and /dev/zero and reports the
// errnos (0: opened), then waits to be killed.
class Child {
  public:
    Child() {
        if (::pipe2(go_, O_CLOEXEC) < 0 || ::pipe2(report_, O_CLOEXEC) < 0) std::abort();
        pid_ = ::fork();
        if (pid_ == 0) {
            char c;
            if (::read(go_[0], &c, 1) != 1) ::_exit(1);
            int results[2];
            const char* paths[2] = {"/dev/null", "/dev/zero"};
            for (int i = 0; i < 2; ++i) {
                int fd = ::open(paths[i], O_RDONLY);
                results[i] = fd >= 0 ? 0 : errno;
                if (fd >= 0) ::close(fd);
            }
            (void)!::write(report_[1], results, sizeof results);
            for (;;)
                ::pause();
        }
        ::close(go_[0]);
        ::close(report_[1]);
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(go_[1]);
        ::close(report_[0]);
    }
    pid_t pid() const { return pid_; }

    // Lets the child open the devices; returns {null errno, zero errno}.
    std::pair<int, int> open_devices() {
        (void)!::write(go_[1], "x", 1);
        int results[2] = {-1, -1};
        if (::read(report_[0], results, sizeof results) != sizeof results) return {-1, -1};
        return {results[0], results[1]};
    }

    // Waits for the child; returns its wait status.
    int reap() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

  private:
    pid_t pid_ = -1;
    int go_[2] = {-1, -1};
    int report_[2] = {-1, -1};
};

class RealCgroupTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        auto host = probe_cgroup_host();
        if (!host) GTEST_SKIP() << "no cgroups: " << host.error().message();
        host_ = *host;
        auto path = resolve_cgroup_path("berth-cgtest-" + std::to_string(::getpid()), "x");
        auto m = make_cgroup_manager(host_, *path);
        ASSERT_TRUE(m) << m.error().message();
        manager_ = std::move(*m);
    }
    void TearDown() override {
        if (manager_) {
            auto destroyed = manager_->destroy();
            EXPECT_TRUE(destroyed) << destroyed.error().message();
        }
    }

    // True when the hierarchy holding `controller` has a cgroup for us.
    bool has_controller(std::string_view controller) const {
        if (host_.layout == CgroupLayout::V2) return host_.unified_has(controller);
        return host_.mount_of(controller) != nullptr ||
               (host_.layout == CgroupLayout::Hybrid && host_.unified_has(controller));
    }

    CgroupHost host_;
    std::unique_ptr<CgroupManager> manager_;
};

TEST_F(RealCgroupTest, CreateLimitJoinFreezeKillDestroy) {
    auto& m = *manager_;
    ASSERT_TRUE(m.create());
    EXPECT_TRUE(m.exists());

    Json resources = Json::parse(R"({"memory": {"limit": 67108864}, "pids": {"limit": 32},
                                      "cpu": {"shares": 512}})");
    bool hugetlb =
        has_controller("hugetlb") && path_exists("/sys/kernel/mm/hugepages/hugepages-2048kB");
    if (hugetlb)
        resources["hugepageLimits"] = Json::parse(R"([{"pageSize": "2MB", "limit": 4194304}])");
    auto applied = m.apply(resources);
    ASSERT_TRUE(applied) << applied.error().message();

    Child child;
    ASSERT_TRUE(m.add_process(child.pid()));
    for (const auto& [controller, dir] : m.paths()) {
        auto procs = read_file(join_path(dir, "cgroup.procs"));
        ASSERT_TRUE(procs) << dir;
        EXPECT_NE(procs->find(std::to_string(child.pid())), std::string::npos)
            << "not in " << controller << " cgroup " << dir;
    }
    EXPECT_EQ(m.pids().value(), std::vector<pid_t>{child.pid()});

    auto stats = m.stats();
    ASSERT_TRUE(stats) << stats.error().message();
    EXPECT_EQ(stats->memory.usage.limit, 67108864u);
    EXPECT_EQ(stats->pids.limit, 32u);
    EXPECT_EQ(stats->pids.current, 1u);
    if (hugetlb) {
        // Written where the hugetlb controller is: v1, or the unified hierarchy on hybrid.
        std::string dir = m.paths().count("hugetlb") ? m.paths().at("hugetlb") : m.paths().at("");
        std::string file =
            m.paths().count("hugetlb") ? "hugetlb.2MB.limit_in_bytes" : "hugetlb.2MB.max";
        EXPECT_EQ(read_file(join_path(dir, file)).value_or(""), "4194304\n");
    }
    EXPECT_EQ(m.oom_kill_count().value(), 0u);
    Json event = stats_event_json("x", *stats);
    EXPECT_EQ(event["data"]["pids"]["current"], 1);

    ASSERT_TRUE(m.freeze());
    EXPECT_EQ(m.freezer_state().value(), FreezerState::Frozen);
    ASSERT_TRUE(m.thaw());
    EXPECT_EQ(m.freezer_state().value(), FreezerState::Thawed);

    ASSERT_TRUE(m.kill_all(SIGKILL));
    int status = child.reap();
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto destroyed = m.destroy();
    ASSERT_TRUE(destroyed) << destroyed.error().message();
    EXPECT_FALSE(m.exists());
    for (const auto& [controller, dir] : m.paths())
        EXPECT_FALSE(path_exists(dir)) << dir;
}

TEST_F(RealCgroupTest, DeviceRulesAreEnforced) {
    auto& m = *manager_;
    ASSERT_TRUE(m.create());
    auto applied = m.apply(Json::parse(R"({"devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]})"));
    if (!applied && applied.error().kind() == ErrorKind::PermissionDenied)
        GTEST_SKIP() << applied.error().message();
    ASSERT_TRUE(applied) << applied.error().message();
    Child child;
    ASSERT_TRUE(m.add_process(child.pid()));
    auto [null_errno, zero_errno] = child.open_devices();
    EXPECT_EQ(null_errno, 0);
    EXPECT_EQ(zero_errno, EPERM);
}

TEST_F(RealCgroupTest, ReopenedFromPathsSeesTheSameCgroup) {
    ASSERT_TRUE(manager_->create());
    Child child;
    ASSERT_TRUE(manager_->add_process(child.pid()));
    auto reopened = open_cgroup_manager(host_, manager_->paths());
    ASSERT_TRUE(reopened) << reopened.error().message();
    EXPECT_EQ((*reopened)->pids().value(), std::vector<pid_t>{child.pid()});
    // Destroy kills what is left.
    auto destroyed = (*reopened)->destroy();
    ASSERT_TRUE(destroyed) << destroyed.error().message();
    int status = child.reap();
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_FALSE(manager_->exists());
}

}  // namespace
}  // namespace berth::runtime::cgroups
