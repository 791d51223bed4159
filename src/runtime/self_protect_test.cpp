#include "runtime/self_protect.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fs.h"
#include "base/path_in_root.h"
#include "base/test_support.h"

namespace berth::runtime {
namespace {

class SelfProtectTest : public ::testing::Test {
  protected:
    void SetUp() override {
        file_ = dir_ + "/binary";
        ASSERT_TRUE(write_file(file_, "original contents", 0755));
    }
    TempDir temp_{"berth-self-protect"};
    std::string dir_ = temp_.path(), file_;
};

TEST_F(SelfProtectTest, TheOriginalIsNotACopy) {
    auto fd = open_fd(file_, O_RDONLY);
    ASSERT_TRUE(fd);
    EXPECT_FALSE(is_protected_copy(fd->get()));
}

TEST_F(SelfProtectTest, ACopyHasTheContentsAndCannotBeWritten) {
    auto original = open_fd(file_, O_RDONLY);
    ASSERT_TRUE(original);
    auto copy = protected_copy_of(original->get(), "test-binary");
    ASSERT_TRUE(copy) << copy.error().message();
    EXPECT_TRUE(is_protected_copy(copy->get()));
    // What a process holding it (its /proc/PID/exe) could do: reopen it for writing.
    std::string path = fd_path(copy->get());
    EXPECT_EQ(read_file(path).value_or(""), "original contents");
    int writable = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (writable >= 0) {
        // A sealed memfd opens, but refuses every write.
        EXPECT_LT(::write(writable, "PWNED", 5), 0);
        ::close(writable);
    }
    EXPECT_EQ(read_file(file_).value_or(""), "original contents");
}

}  // namespace
}  // namespace berth::runtime
