#include "runtime/sync_socket.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::runtime {
namespace {

TEST(ConsoleEnds, NoneWithoutATerminal) {
    auto ends = open_console_ends(false, true, "", -1);
    ASSERT_TRUE(ends);
    EXPECT_FALSE(ends->to_child.valid());
    EXPECT_FALSE(ends->proxy_end.valid());
}

TEST(ConsoleEnds, AProxiedTerminalComesBackOverThePair) {
    auto ends = open_console_ends(true, true, "", -1);
    ASSERT_TRUE(ends) << ends.error().message();
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    ASSERT_TRUE(send_fd(ends->to_child.get(), write_end.get(), ""));
    auto received = receive_fd(ends->proxy_end.get());
    ASSERT_TRUE(received) << received.error().message();
    EXPECT_EQ(::fcntl(received->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ASSERT_EQ(::write(received->get(), "t", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(read_end.get(), &c, 1), 1);
    EXPECT_EQ(c, 't');
}

TEST(ConsoleEnds, AGivenSocketIsDuplicatedAndAMissingOneNamed) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd ours(pair[0]), theirs(pair[1]);
    auto ends = open_console_ends(true, false, "", ours.get());
    ASSERT_TRUE(ends) << ends.error().message();
    EXPECT_TRUE(ends->to_child.valid());
    EXPECT_NE(ends->to_child.get(), ours.get());
    EXPECT_FALSE(ends->proxy_end.valid());

    auto missing = open_console_ends(true, false, "/nonexistent/berth-console.sock", -1);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("console socket"), std::string::npos)
        << missing.error().message();
}

TEST(ReceiveFd, APeerThatClosesOrSendsNoFdIsAnError) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd a(pair[0]), b(pair[1]);
    ASSERT_EQ(::write(a.get(), "x", 1), 1);
    auto no_fd = receive_fd(b.get());
    ASSERT_FALSE(no_fd);
    EXPECT_NE(no_fd.error().message().find("no file descriptor"), std::string::npos);
    a.reset();
    auto closed = receive_fd(b.get());
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().kind(), ErrorKind::Unavailable);
}

}  // namespace
}  // namespace berth::runtime
