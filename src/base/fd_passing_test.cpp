#include "base/fd_passing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>

namespace berth {
namespace {

struct SocketPair {
    UniqueFd a, b;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
        a.reset(fds[0]);
        b.reset(fds[1]);
    }
};

struct Pipe {
    UniqueFd read, write;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
        read.reset(fds[0]);
        write.reset(fds[1]);
    }
};

TEST(FdPassing, PassesFdsInOrderWithTheTextAndCloseOnExec) {
    SocketPair sockets;
    Pipe first, second;
    std::array<int, 2> fds{first.write.get(), second.write.get()};
    ASSERT_EQ(send_with_fds(sockets.a.get(), "hello", fds, "send").value_or(0), 5u);
    std::array<char, 16> buffer{};
    auto got = receive_with_fds(sockets.b.get(), buffer, 4, "receive");
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(std::string(buffer.data(), got->size), "hello");
    EXPECT_FALSE(got->truncated);
    ASSERT_EQ(got->fds.size(), 2u);
    for (auto& fd : got->fds)
        EXPECT_EQ(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    // The second fd received writes into the second pipe.
    ASSERT_EQ(::write(got->fds[1].get(), "x", 1), 1);
    char c = 0;
    EXPECT_EQ(::read(second.read.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
}

TEST(FdPassing, MoreFdsThanTheReceiverTakesIsAnError) {
    SocketPair sockets;
    Pipe pipe;
    std::array<int, 3> fds{pipe.read.get(), pipe.write.get(), pipe.write.get()};
    ASSERT_TRUE(send_with_fds(sockets.a.get(), "m", fds, "send"));
    std::array<char, 16> buffer{};
    auto got = receive_with_fds(sockets.b.get(), buffer, 2, "receive fds");
    ASSERT_FALSE(got);
    EXPECT_NE(got.error().message().find("receive fds: more fds than the 2 expected"),
              std::string::npos)
        << got.error().message();
}

TEST(FdPassing, TooManyFdsToSendSendsNothing) {
    SocketPair sockets;
    std::vector<int> fds(kMaxPassedFds + 1, sockets.a.get());
    auto sent = send_with_fds(sockets.a.get(), "m", fds, "send");
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().kind(), ErrorKind::InvalidArgument);
    sockets.a.reset();
    std::array<char, 4> buffer{};
    auto got = receive_with_fds(sockets.b.get(), buffer, 1, "receive");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->size, 0u);  // only the close arrives
}

TEST(FdPassing, ALongerMessageIsMarkedTruncated) {
    SocketPair sockets;
    ASSERT_TRUE(send_with_fds(sockets.a.get(), "0123456789", {}, "send"));
    std::array<char, 4> buffer{};
    auto got = receive_with_fds(sockets.b.get(), buffer, 0, "receive");
    ASSERT_TRUE(got);
    EXPECT_TRUE(got->truncated);
    EXPECT_EQ(got->size, 4u);
    EXPECT_TRUE(got->fds.empty());
}

TEST(FdPassing, ErrorsNameWhatFailed) {
    auto sent = send_with_fds(-1, "m", {}, "send to nowhere");
    ASSERT_FALSE(sent);
    EXPECT_NE(sent.error().message().find("send to nowhere"), std::string::npos);
}

}  // namespace
}  // namespace berth
