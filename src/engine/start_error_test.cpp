#include "engine/start_error.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

TEST(StartErrorExitCode, ProgramThatIsNotThereIs127) {
    EXPECT_EQ(start_error_exit_code("exec: \"nosuch\": executable file not found in $PATH"), 127);
    EXPECT_EQ(start_error_exit_code("chdir to cwd (\"/x\") set in config.json: no such file or "
                                    "directory"),
              127);
    EXPECT_EQ(start_error_exit_code("exec /bin/x: Not a directory"), 127);
}

TEST(StartErrorExitCode, ProgramThatCannotRunIs126) {
    EXPECT_EQ(start_error_exit_code("exec: \"/etc/passwd\": permission denied"), 126);
    EXPECT_EQ(start_error_exit_code("exec /etc: Permission denied"), 126);
    EXPECT_EQ(start_error_exit_code("exec: \"/etc\": is a directory"), 126);
}

TEST(StartErrorExitCode, AnythingElseIs128) {
    EXPECT_EQ(start_error_exit_code("mount proc on /proc: device or resource busy"), 128);
    EXPECT_EQ(start_error_exit_code(""), 128);
}

}  // namespace
}  // namespace berth::engine
