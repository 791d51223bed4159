#include "engine/monitor_binary.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fs.h"
#include "runtime/self_protect.h"

namespace berth::engine {
namespace {

class MonitorBinaryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-monitor-binary-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/berth-monitor";
        ASSERT_TRUE(write_file(path_, "version 1", 0755));
    }
    void TearDown() override { (void)remove_all(dir_); }

    std::string dir_, path_;
};

TEST_F(MonitorBinaryTest, ExecutesAProtectedCopyKeptOpenAboveTheSpawnTargets) {
    MonitorBinary binary(path_);
    EXPECT_EQ(binary.path(), path_);
    auto executable = binary.executable();
    ASSERT_TRUE(executable) << executable.error().message();
    EXPECT_GE(executable->copy->get(), 100);
    EXPECT_EQ(executable->exec_path, "/proc/self/fd/" + std::to_string(executable->copy->get()));
    EXPECT_TRUE(runtime::is_protected_copy(executable->copy->get()));
    EXPECT_EQ(read_file(executable->exec_path).value_or(""), "version 1");
}

TEST_F(MonitorBinaryTest, TheSameCopyServesEveryStart) {
    MonitorBinary binary(path_);
    auto first = binary.executable();
    auto second = binary.executable();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->copy, second->copy);
}

TEST_F(MonitorBinaryTest, ANewFileOnDiskGetsANewCopyWhileTheOldOneStaysOpenForItsHolder) {
    MonitorBinary binary(path_);
    auto old = binary.executable();
    ASSERT_TRUE(old);
    // An upgrade: a new file renamed over the old one.
    ASSERT_TRUE(write_file_atomic(path_, "version 2", 0755, Durability::Volatile));
    auto fresh = binary.executable();
    ASSERT_TRUE(fresh);
    EXPECT_NE(fresh->copy, old->copy);
    EXPECT_EQ(read_file(fresh->exec_path).value_or(""), "version 2");
    EXPECT_EQ(read_file(old->exec_path).value_or(""), "version 1");
}

TEST_F(MonitorBinaryTest, AMissingFileIsAnErrorNamingIt) {
    MonitorBinary binary(dir_ + "/missing");
    auto executable = binary.executable();
    ASSERT_FALSE(executable);
    EXPECT_NE(executable.error().message().find("missing"), std::string::npos);
}

}  // namespace
}  // namespace berth::engine
