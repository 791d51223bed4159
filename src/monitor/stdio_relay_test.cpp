#include "monitor/stdio_relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace berth::monitor {
namespace {

// A relay over pipes, without a log: the test plays the container (reading its stdin, holding
// its stdout) and one client (the other end of a socketpair).
class StdioRelayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        int in[2], out[2], client[2];
        ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
        ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, client), 0);
        container_stdin_.reset(in[0]);
        container_stdout_.reset(out[1]);
        client_.reset(client[0]);
        relay_end_.reset(client[1]);
        relay_ = std::make_unique<StdioRelay>(options_, UniqueFd(out[0]), UniqueFd(),
                                              UniqueFd(in[1]), nullptr);
    }

    // Services the relay until the container's stdin has `size` bytes (or a second has passed).
    std::string container_reads(size_t size) {
        ::fcntl(container_stdin_.get(), F_SETFL, O_NONBLOCK);
        std::string data;
        for (int round = 0; round < 20 && data.size() < size; ++round) {
            std::vector<pollfd> none;
            EXPECT_TRUE(relay_->poll_once(none, 50));
            char buffer[256];
            ssize_t n;
            while ((n = ::read(container_stdin_.get(), buffer, sizeof buffer)) > 0)
                data.append(buffer, static_cast<size_t>(n));
        }
        return data;
    }

    RelayOptions options_;
    UniqueFd container_stdin_, container_stdout_, client_, relay_end_;
    std::unique_ptr<StdioRelay> relay_;
};

TEST_F(StdioRelayTest, EarlyInputReachesStdinBeforeWhatIsReadLater) {
    AttachRequest request;
    request.stdin = true;
    request.input = std::string("early\0", 6);
    ASSERT_EQ(::write(client_.get(), "late", 4), 4);  // already waiting on the connection
    relay_->add_client(std::move(relay_end_), request);
    EXPECT_EQ(container_reads(10), std::string("early\0late", 10));
}

TEST_F(StdioRelayTest, EarlyInputIsDroppedWithoutStdin) {
    AttachRequest request;
    request.stdin = false;
    request.input = "ignored";
    relay_->add_client(std::move(relay_end_), request);
    EXPECT_EQ(container_reads(1), "");
}

class StdioRelayTtyTest : public StdioRelayTest {
  protected:
    void SetUp() override {
        options_.tty = true;
        options_.detach_keys = "\x10\x11";  // ctrl-p, ctrl-q
        options_.on_detach = [this] { ++detaches_; };
        StdioRelayTest::SetUp();
    }
    int detaches_ = 0;
};

TEST_F(StdioRelayTtyTest, DetachKeysInEarlyInputDetach) {
    AttachRequest request;
    request.stdin = true;
    request.input = "ls\n\x10\x11never";
    relay_->add_client(std::move(relay_end_), request);
    EXPECT_EQ(container_reads(3), "ls\n");
    char byte;
    EXPECT_EQ(::read(client_.get(), &byte, 1), 0);  // detached: the client sees the end
    EXPECT_EQ(detaches_, 1);                        // and berthd is told
}

TEST_F(StdioRelayTtyTest, APartOfTheDetachKeysIsInput) {
    AttachRequest request;
    request.stdin = true;
    request.input =
        "a\x10"
        "b";
    relay_->add_client(std::move(relay_end_), request);
    EXPECT_EQ(container_reads(3),
              "a\x10"
              "b");
    EXPECT_EQ(detaches_, 0);
}

}  // namespace
}  // namespace berth::monitor
