#include "client/daemon_host.h"

#include <gtest/gtest.h>

namespace berth::client {
namespace {

TEST(DaemonHost, UnixPaths) {
    auto host = parse_daemon_host("unix:///tmp/x/docker.sock");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->kind, DaemonHost::Kind::Unix);
    EXPECT_EQ(host->path, "/tmp/x/docker.sock");
    EXPECT_EQ(host->text, "unix:///tmp/x/docker.sock");
    // An empty unix:// means the default socket, as docker reads it.
    EXPECT_EQ(parse_daemon_host("unix://")->path, "/run/berth/berth.sock");
}

TEST(DaemonHost, TcpWithAndWithoutPort) {
    auto host = parse_daemon_host("tcp://10.0.0.1:2375");
    ASSERT_TRUE(host);
    EXPECT_EQ(host->kind, DaemonHost::Kind::Tcp);
    EXPECT_EQ(host->host, "10.0.0.1");
    EXPECT_EQ(host->port, "2375");
    EXPECT_EQ(parse_daemon_host("tcp://example.com")->port, "2375");
    EXPECT_EQ(parse_daemon_host("tcp://example.com", true)->port, "2376");
    EXPECT_EQ(parse_daemon_host("localhost:1234")->text, "tcp://localhost:1234");
    auto v6 = parse_daemon_host("tcp://[::1]:99");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->text, "tcp://[::1]:99");
}

TEST(DaemonHost, RejectsUnknownSchemesAndBadPorts) {
    EXPECT_FALSE(parse_daemon_host("ssh://user@host"));
    EXPECT_FALSE(parse_daemon_host("tcp://host:port"));
    EXPECT_FALSE(parse_daemon_host("tcp://[::1"));
}

TEST(DaemonHost, ChoiceOrder) {
    EXPECT_EQ(choose_daemon_host("unix:///a", "unix:///b", "unix:///c"), "unix:///a");
    EXPECT_EQ(choose_daemon_host("", "unix:///b", "unix:///c"), "unix:///b");
    EXPECT_EQ(choose_daemon_host("", "", "unix:///c"), "unix:///c");
    EXPECT_EQ(choose_daemon_host("", nullptr, nullptr), "unix:///run/berth/berth.sock");
}

}  // namespace
}  // namespace berth::client
