#include "base/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace berth {
namespace {

// True once `pid` no longer exists at all (killed and reaped, not a zombie).
bool process_gone(pid_t pid) {
    return ::kill(pid, 0) < 0 && errno == ESRCH;
}

std::string read_all(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    return out;
}

TEST(Spawn, TrueExitsZero) {
    auto child = spawn({"/bin/true"});
    ASSERT_TRUE(child.has_value()) << child.error().message();
    EXPECT_GT(child->pid(), 0);
    EXPECT_TRUE(child->running());
    auto status = child->wait();
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(exit_code_of(*status), 0);
    EXPECT_FALSE(child->running());
}

TEST(Spawn, FalseExitsOne) {
    auto child = spawn({"/bin/false"});
    ASSERT_TRUE(child.has_value()) << child.error().message();
    auto status = child->wait();
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(exit_code_of(*status), 1);
}

TEST(Spawn, LooksUpBareNamesInPath) {
    auto child = spawn({"sh", "-c", "exit 3"});
    ASSERT_TRUE(child.has_value()) << child.error().message();
    EXPECT_EQ(exit_code_of(child->wait().value()), 3);
}

TEST(Spawn, MissingCommandIsNotFound) {
    for (const char* cmd : {"/nonexistent/berth-no-such-command", "berth-no-such-command-xyz"}) {
        SCOPED_TRACE(cmd);
        auto child = spawn({cmd, "arg"});
        ASSERT_FALSE(child.has_value());
        EXPECT_EQ(child.error().kind(), ErrorKind::NotFound);
        EXPECT_EQ(child.error().sys_errno(), ENOENT);
        EXPECT_NE(child.error().message().find(cmd), std::string::npos) << child.error().message();
    }
}

TEST(Spawn, EmptyCommandIsInvalid) {
    auto child = spawn({});
    ASSERT_FALSE(child.has_value());
    EXPECT_EQ(child.error().kind(), ErrorKind::InvalidArgument);
}

TEST(Spawn, MissingWorkingDirectoryIsReportedAsSuch) {
    SpawnOptions options;
    options.cwd = "/nonexistent/berth-no-such-dir";
    auto child = spawn({"/bin/true"}, options);
    ASSERT_FALSE(child.has_value());
    EXPECT_EQ(child.error().kind(), ErrorKind::NotFound);
    // The message names the directory, not the (existing) command.
    EXPECT_NE(child.error().message().find(options.cwd), std::string::npos)
        << child.error().message();
}

TEST(Spawn, AppliesCwdEnvAndStdout) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    SpawnOptions options;
    options.cwd = "/";
    options.env = {"BERTH_TEST=hello"};
    options.stdout_fd = write_end.get();
    auto child = spawn({"/bin/sh", "-c", "echo \"$BERTH_TEST $(pwd)\""}, options);
    ASSERT_TRUE(child.has_value()) << child.error().message();
    write_end.reset();
    EXPECT_EQ(read_all(read_end.get()), "hello /\n");
    EXPECT_EQ(exit_code_of(child->wait().value()), 0);
}

TEST(ChildProcess, DestructorKillsAndReaps) {
    pid_t pid = -1;
    {
        auto child = spawn({"sleep", "100"});
        ASSERT_TRUE(child.has_value()) << child.error().message();
        pid = child->pid();
        ASSERT_EQ(::kill(pid, 0), 0);
    }
    EXPECT_TRUE(process_gone(pid)) << "pid " << pid << " survived its ChildProcess";
}

TEST(ChildProcess, MoveAssignmentKillsThePreviousChild) {
    auto first = spawn({"sleep", "100"});
    auto second = spawn({"sleep", "100"});
    ASSERT_TRUE(first.has_value() && second.has_value());
    pid_t first_pid = first->pid();
    pid_t second_pid = second->pid();
    *first = std::move(*second);
    EXPECT_TRUE(process_gone(first_pid));
    EXPECT_EQ(first->pid(), second_pid);
    EXPECT_FALSE(second->running());
    EXPECT_EQ(::kill(second_pid, 0), 0);
}

TEST(ChildProcess, SignalAndTryWait) {
    auto child = spawn({"sleep", "100"});
    ASSERT_TRUE(child.has_value());
    EXPECT_GE(child->pidfd(), 0);
    auto still = child->try_wait();
    ASSERT_TRUE(still.has_value());
    EXPECT_EQ(*still, -1);
    ASSERT_TRUE(child->signal(SIGTERM).has_value());
    auto status = child->wait();
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFSIGNALED(*status));
    EXPECT_EQ(exit_code_of(*status), 128 + SIGTERM);
    // Once waited for there is nothing left to wait for or signal.
    EXPECT_FALSE(child->wait().has_value());
    EXPECT_FALSE(child->signal(SIGKILL).has_value());
}

TEST(ChildProcess, ReleaseLetsTheChildLive) {
    pid_t pid = -1;
    {
        auto child = spawn({"sleep", "100"});
        ASSERT_TRUE(child.has_value());
        pid = child->release();
        EXPECT_FALSE(child->running());
    }
    EXPECT_EQ(::kill(pid, 0), 0);
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(process_gone(pid));
}

TEST(RunWithInput, FeedsStdin) {
    auto status = run_with_input({"/bin/sh", "-c", "read line; test \"$line\" = hello"}, "hello\n");
    ASSERT_TRUE(status.has_value()) << status.error().message();
    EXPECT_EQ(exit_code_of(*status), 0);
    status = run_with_input({"/bin/sh", "-c", "read line; test \"$line\" = hello"}, "bye\n");
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(exit_code_of(*status), 1);
}

TEST(RunWithInput, ChildThatIgnoresStdinIsFine) {
    std::string big(1 << 20, 'x');  // more than a pipe holds
    auto status = run_with_input({"/bin/true"}, big);
    ASSERT_TRUE(status.has_value()) << status.error().message();
    EXPECT_EQ(exit_code_of(*status), 0);
}

TEST(ExitCode, ShellConventions) {
    EXPECT_EQ(exit_code_of(0), 0);
    EXPECT_EQ(exit_code_of(42 << 8), 42);
    EXPECT_EQ(exit_code_of(SIGKILL), 128 + SIGKILL);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(RunAndCapture, ReturnsStdoutAndQuotesStderrOnFailure) {
    auto out = run_and_capture({"sh", "-c", "echo hello; echo noise >&2"});
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(*out, "hello\n");
    auto failed = run_and_capture({"sh", "-c", "echo first >&2; echo 'the reason' >&2; exit 3"});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message(), "sh failed (exit code 3): the reason");
}

}  // namespace
}  // namespace berth
