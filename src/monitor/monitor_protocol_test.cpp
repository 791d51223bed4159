#include "monitor/monitor_protocol.h"

#include <sys/socket.h>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace berth::monitor {
namespace {

TEST(MonitorProtocol, ContainerConfigCarriesTheRuntime) {
    ContainerMonitorConfig config;
    config.id = "c1";
    config.bundle = "/var/lib/berth/containers/c1";
    config.runtime_root = "/run/berth/runtime-crun";
    config.runtime_path = "/usr/bin/crun";
    config.runtime_args = {"--debug"};
    auto back = container_config_from_json(to_json(config));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->runtime_root, config.runtime_root);
    EXPECT_EQ(back->runtime_path, config.runtime_path);
    EXPECT_EQ(back->runtime_args, config.runtime_args);
}

TEST(MonitorProtocol, ExecConfigCarriesTheBundleAndRuntime) {
    ExecMonitorConfig config;
    config.container_id = "c1";
    config.bundle = "/var/lib/berth/containers/c1";
    config.runtime_root = "/run/berth/runtime-runc";
    config.runtime_path = "/usr/sbin/runc";
    config.args = {"true"};
    auto back = exec_config_from_json(to_json(config));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->bundle, config.bundle);
    EXPECT_EQ(back->runtime_path, config.runtime_path);
    EXPECT_TRUE(back->runtime_args.empty());
}

TEST(MonitorProtocol, AttachCarriesEarlyInputAsBase64) {
    AttachRequest attach;
    attach.stdin = true;
    attach.input = std::string("hi\0\xff\n", 5);  // any bytes, not only UTF-8
    Json doc = to_json(attach);
    EXPECT_EQ(doc["input"], "aGkA/wo=");
    auto back = attach_from_json(Json::parse(doc.dump()));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->input, attach.input);
    EXPECT_FALSE(to_json(AttachRequest{}).contains("input"));
    EXPECT_FALSE(attach_from_json({{"input", "not base64!"}}));
}

TEST(MonitorProtocol, PacketsUpToTheLimitArriveWhole) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd a(pair[0]), b(pair[1]);
    std::string large(kMaxPacketSize, 'x');
    ASSERT_TRUE(send_packet(a.get(), large));
    auto packet = receive_packet(b.get());
    ASSERT_TRUE(packet) << packet.error().message();
    EXPECT_EQ(packet->text.size(), large.size());
    EXPECT_FALSE(send_packet(a.get(), large + "x"));
}

// The zygote's requests: several fds, in order, each a working descriptor on the other side.
TEST(MonitorProtocol, PacketsCarrySeveralFdsInOrder) {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd a(pair[0]), b(pair[1]);
    int p1[2], p2[2];
    ASSERT_EQ(::pipe2(p1, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(p2, O_CLOEXEC), 0);
    UniqueFd r1(p1[0]), w1(p1[1]), r2(p2[0]), w2(p2[1]);
    std::vector<int> fds{w1.get(), w2.get()};
    ASSERT_TRUE(send_packet(a.get(), "/some/dir", fds));
    auto packet = receive_packet(b.get());
    ASSERT_TRUE(packet) << packet.error().message();
    EXPECT_EQ(packet->text, "/some/dir");
    ASSERT_EQ(packet->fds.size(), 2u);
    ASSERT_EQ(::write(packet->fds[0].get(), "1", 1), 1);
    ASSERT_EQ(::write(packet->fds[1].get(), "2", 1), 1);
    char c1 = 0, c2 = 0;
    ASSERT_EQ(::read(r1.get(), &c1, 1), 1);
    ASSERT_EQ(::read(r2.get(), &c2, 1), 1);
    EXPECT_EQ(c1, '1');
    EXPECT_EQ(c2, '2');
    std::vector<int> too_many(kMaxPacketFds + 1, w1.get());
    EXPECT_FALSE(send_packet(a.get(), "x", too_many));
}

// A health check's output is whatever bytes the process wrote, cut at the capture limit (maybe
// inside a character): the exit record still serialises, with U+FFFD for each invalid byte as
// dockerd writes it (found by fuzz/monitor_protocol_fuzz.cpp: Json::dump threw).
TEST(MonitorProtocol, ExitRecordWithInvalidUtf8Serialises) {
    ExitRecord record;
    record.exit_code = 1;
    record.output = "ok \xff caf\xc3";
    record.error = "bad \xa5";
    std::string text = to_json(record).dump();
    auto back = exit_from_json(*parse_json(text, "exit record"));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->output, "ok \xef\xbf\xbd caf\xef\xbf\xbd");
    EXPECT_EQ(back->error, "bad \xef\xbf\xbd");
    EXPECT_EQ(back->exit_code, 1);
}

}  // namespace
}  // namespace berth::monitor
