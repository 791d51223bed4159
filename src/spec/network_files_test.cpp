#include "spec/network_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"

namespace berth::spec {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/berth-netfiles-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { (void)remove_all(path); }
};

struct Host {
    TempDir dir;
    HostNetworkFiles files;
    Host(const std::string& resolv, const std::string& hosts = "10.0.0.1 myhost\n") {
        files.hosts = dir.path + "/hosts";
        files.resolv_conf = dir.path + "/resolv.conf";
        files.systemd_resolv_conf = dir.path + "/systemd-resolv.conf";
        files.hostname = "buildbox";
        EXPECT_TRUE(write_file(files.hosts, hosts));
        EXPECT_TRUE(write_file(files.resolv_conf, resolv));
        EXPECT_TRUE(mkdir_all(dir.path + "/ctr"));
    }
    std::string read(const char* name) { return read_file(dir.path + "/ctr/" + name).value(); }
};

TEST(NetworkFiles, NoneModeHostnameHostsAndResolvConf) {
    Host host(
        "nameserver 127.0.0.1\nnameserver 192.168.1.1\nnameserver fd00::1\nsearch corp\noptions "
        "ndots:2\n");
    std::string name = write_network_files(host.dir.path + "/ctr", Json::object(),
                                           {{"NetworkMode", "none"}}, kId, host.files)
                           .value();
    EXPECT_EQ(name, "0123456789ab");
    EXPECT_EQ(host.read("hostname"), "0123456789ab\n");
    std::string hosts = host.read("hosts");
    EXPECT_EQ(hosts.rfind("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0),
              0u);
    EXPECT_EQ(hosts.find("0123456789ab"),
              std::string::npos);  // no interface: no own line, as docker
    std::string resolv = host.read("resolv.conf");
    EXPECT_NE(resolv.find("nameserver 192.168.1.1\n"), std::string::npos);
    EXPECT_EQ(resolv.find("127.0.0.1"), std::string::npos);
    EXPECT_EQ(resolv.find("fd00::1"), std::string::npos);
    EXPECT_NE(resolv.find("search corp\n"), std::string::npos);
    EXPECT_NE(resolv.find("options ndots:2\n"), std::string::npos);
}

TEST(NetworkFiles, OnlyLoopbackNameserversFallBackToDockersDefaults) {
    Host host("nameserver 127.0.0.11\nnameserver ::1\n");
    ASSERT_TRUE(write_network_files(host.dir.path + "/ctr", Json::object(),
                                    {{"NetworkMode", "bridge"}}, kId, host.files));
    std::string resolv = host.read("resolv.conf");
    EXPECT_NE(resolv.find("nameserver 8.8.8.8\nnameserver 8.8.4.4\n"), std::string::npos);
}

TEST(NetworkFiles, SystemdResolvedStubIsReplaced) {
    Host host("nameserver 127.0.0.53\noptions edns0\n");
    ASSERT_TRUE(write_file(host.files.systemd_resolv_conf, "nameserver 9.9.9.9\n"));
    ASSERT_TRUE(write_network_files(host.dir.path + "/ctr", Json::object(), Json::object(), kId,
                                    host.files));
    EXPECT_NE(host.read("resolv.conf").find("nameserver 9.9.9.9\n"), std::string::npos);
}

TEST(NetworkFiles, DnsOverridesAndExtraHosts) {
    Host host("nameserver 1.1.1.1\nsearch host.lan\n");
    Json hc = {{"Dns", {"10.1.1.1"}},
               {"DnsSearch", {"a.example", "b.example"}},
               {"DnsOptions", {"timeout:1"}},
               {"ExtraHosts", {"db:10.2.3.4", "v6:::1"}}};
    Json config = {{"Hostname", "web"}, {"Domainname", "example.org"}};
    EXPECT_EQ(write_network_files(host.dir.path + "/ctr", config, hc, kId, host.files).value(),
              "web");
    std::string resolv = host.read("resolv.conf");
    EXPECT_NE(resolv.find("nameserver 10.1.1.1\n"), std::string::npos);
    EXPECT_EQ(resolv.find("1.1.1.1\n"), std::string::npos);
    EXPECT_NE(resolv.find("search a.example b.example\n"), std::string::npos);
    EXPECT_NE(resolv.find("options timeout:1\n"), std::string::npos);
    std::string hosts = host.read("hosts");
    EXPECT_NE(hosts.find("10.2.3.4\tdb\n"), std::string::npos);
    EXPECT_NE(hosts.find("::1\tv6\n"), std::string::npos);
    EXPECT_EQ(host.read("hostname"), "web\n");
}

TEST(NetworkFiles, HostModeCopiesTheHost) {
    Host host("nameserver 127.0.0.53\n", "127.0.0.1 localhost\n10.0.0.1 myhost\n");
    std::string name = write_network_files(host.dir.path + "/ctr", Json::object(),
                                           {{"NetworkMode", "host"}}, kId, host.files)
                           .value();
    EXPECT_EQ(name, "buildbox");
    EXPECT_EQ(host.read("hosts"), "127.0.0.1 localhost\n10.0.0.1 myhost\n");
    // The host's stub resolver is reachable from the host's network namespace.
    EXPECT_NE(host.read("resolv.conf").find("nameserver 127.0.0.53\n"), std::string::npos);
}

TEST(NetworkFiles, MissingHostFilesAreEmpty) {
    Host host("");
    host.files.resolv_conf = host.dir.path + "/missing";
    ASSERT_TRUE(write_network_files(host.dir.path + "/ctr", Json::object(), Json::object(), kId,
                                    host.files));
    EXPECT_NE(host.read("resolv.conf").find("nameserver 8.8.8.8"), std::string::npos);
}

}  // namespace
}  // namespace berth::spec
