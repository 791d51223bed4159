#include "monitor/monitor_protocol.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace berth::monitor
