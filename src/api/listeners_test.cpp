#include "api/listeners.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "api/daemon_config.h"

namespace berth::api {
namespace {

TEST(ParseHost, Forms) {
    auto unix_host = parse_host("unix:///run/berth/berth.sock", false);
    ASSERT_TRUE(unix_host);
    EXPECT_EQ(unix_host->kind, HostAddress::Kind::Unix);
    EXPECT_EQ(unix_host->path, "/run/berth/berth.sock");

    auto tcp = parse_host("tcp://0.0.0.0:2376", true);
    ASSERT_TRUE(tcp);
    EXPECT_EQ(tcp->kind, HostAddress::Kind::Tcp);
    EXPECT_EQ(tcp->host, "0.0.0.0");
    EXPECT_EQ(tcp->port, 2376);

    auto v6 = parse_host("tcp://[::1]:1234", true);
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 1234);

    // docker's default ports, and every interface for an empty host.
    EXPECT_EQ(parse_host("tcp://10.0.0.1", true)->port, 2376);
    EXPECT_EQ(parse_host("tcp://10.0.0.1", false)->port, 2375);
    auto any = parse_host("tcp://:2376", true);
    ASSERT_TRUE(any);
    EXPECT_EQ(any->host, "");

    auto all_fds = parse_host("fd://", false);
    ASSERT_TRUE(all_fds);
    EXPECT_EQ(all_fds->kind, HostAddress::Kind::Fd);
    EXPECT_EQ(all_fds->fd, -1);
    EXPECT_EQ(parse_host("fd://4", false)->fd, 4);

    EXPECT_FALSE(parse_host("tcp://::1:2376", true));  // IPv6 needs brackets
    EXPECT_FALSE(parse_host("tcp://host:port", true));
    EXPECT_FALSE(parse_host("tcp://host:2376/path", true));
    EXPECT_FALSE(parse_host("fd://x", false));
    EXPECT_FALSE(parse_host("npipe:////./pipe/docker_engine", false));
    EXPECT_FALSE(parse_host("/run/berth.sock", false));
}

TEST(ListenTcp, PicksAFreePortAndSaysWhich) {
    auto listener = listen_tcp("127.0.0.1", 0);
    ASSERT_TRUE(listener) << listener.error().message();
    EXPECT_TRUE(listener->address.starts_with("tcp://127.0.0.1:")) << listener->address;
    EXPECT_NE(listener->address, "tcp://127.0.0.1:0");
    EXPECT_TRUE(listener->socket_file.empty());
    EXPECT_FALSE(listener->tls);
}

class OpenListenersTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir[] = "/tmp/berth-listeners-test.XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
    }
    void TearDown() override { ::rmdir(dir_.c_str()); }
    std::string dir_;
    std::vector<std::string> warnings_;
    WarnFunction warn_ = [this](std::string_view w) { warnings_.emplace_back(w); };
};

TEST_F(OpenListenersTest, PlainTcpNeedsTheExplicitFlag) {
    DaemonConfig config;
    config.group = "";
    config.hosts = {"unix://" + dir_ + "/a.sock", "tcp://127.0.0.1:0"};
    auto refused = open_listeners(config, warn_);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find("without TLS"), std::string::npos);
    EXPECT_NE(refused.error().message().find("--insecure-tcp"), std::string::npos);
    // Nothing is left behind by the hosts opened before the refusal.
    EXPECT_NE(::access((dir_ + "/a.sock").c_str(), F_OK), 0);

    config.insecure_tcp = true;
    auto listeners = open_listeners(config, warn_);
    ASSERT_TRUE(listeners) << listeners.error().message();
    ASSERT_EQ(listeners->size(), 2u);
    EXPECT_EQ((*listeners)[0].socket_file, dir_ + "/a.sock");
    EXPECT_FALSE((*listeners)[1].tls);
    ASSERT_FALSE(warnings_.empty());
    EXPECT_NE(warnings_[0].find("INSECURE"), std::string::npos);
    ::unlink((dir_ + "/a.sock").c_str());
}

TEST_F(OpenListenersTest, BadTlsFilesAreAnError) {
    DaemonConfig config;
    config.hosts = {"tcp://127.0.0.1:0"};
    config.tls = config.tls_verify = true;
    config.tls_ca = dir_ + "/ca.pem";
    config.tls_cert = dir_ + "/cert.pem";
    config.tls_key = dir_ + "/key.pem";
    auto listeners = open_listeners(config, warn_);
    ASSERT_FALSE(listeners);
    EXPECT_NE(listeners.error().message().find("invalid TLS configuration"), std::string::npos);
    EXPECT_NE(listeners.error().message().find("cert.pem"), std::string::npos);
}

TEST_F(OpenListenersTest, SocketActivationNeedsTheVariables) {
    DaemonConfig config;
    config.hosts = {"fd://"};
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    auto listeners = open_listeners(config, warn_);
    ASSERT_FALSE(listeners);
    EXPECT_NE(listeners.error().message().find("socket activation"), std::string::npos);
    // Variables meant for another process are not ours.
    ::setenv("LISTEN_PID", "1", 1);
    ::setenv("LISTEN_FDS", "1", 1);
    EXPECT_FALSE(open_listeners(config, warn_));
    EXPECT_EQ(::getenv("LISTEN_FDS"), nullptr);  // removed either way
}

}  // namespace
}  // namespace berth::api
