#include "runtime/cgroups/resources.h"

#include <gtest/gtest.h>

namespace berth::runtime::cgroups {
namespace {

Json representative() {
    return Json::parse(R"({
      "devices": [{"allow": false, "access": "rwm"},
                  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
                 "swappiness": 10, "disableOOMKiller": true, "kernel": 1},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "burst": 1000,
              "realtimeRuntime": 950000, "realtimePeriod": 1000000,
              "cpus": "0-1", "mems": "0", "idle": 0},
      "pids": {"limit": 100},
      "blockIO": {"weight": 500, "leafWeight": 300,
                  "weightDevice": [{"major": 8, "minor": 0, "weight": 600}],
                  "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                  "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
      "unified": {"memory.high": "1073741824"}
    })");
}

TEST(Resources, ParsesEveryGroup) {
    auto r = parse_resources(representative());
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(r->memory);
    EXPECT_EQ(r->memory->limit, 536870912);
    EXPECT_EQ(r->memory->reservation, 268435456);
    EXPECT_EQ(r->memory->swap, 1073741824);
    EXPECT_EQ(r->memory->swappiness, 10);
    EXPECT_TRUE(r->memory->disable_oom_killer);
    ASSERT_TRUE(r->cpu);
    EXPECT_EQ(r->cpu->shares, 512u);
    EXPECT_EQ(r->cpu->quota, 50000);
    EXPECT_EQ(r->cpu->burst, 1000u);
    EXPECT_EQ(r->cpu->cpus, "0-1");
    EXPECT_EQ(r->cpu->idle, 0);
    EXPECT_EQ(r->pids_limit, 100);
    ASSERT_TRUE(r->block_io);
    EXPECT_EQ(r->block_io->weight, 500);
    ASSERT_EQ(r->block_io->weight_device.size(), 1u);
    EXPECT_EQ(r->block_io->weight_device[0].weight, 600);
    EXPECT_FALSE(r->block_io->weight_device[0].leaf_weight);
    ASSERT_EQ(r->block_io->throttle_write_iops.size(), 1u);
    EXPECT_EQ(r->block_io->throttle_write_iops[0].minor, 16);
    ASSERT_EQ(r->hugepage_limits.size(), 1u);
    EXPECT_EQ(r->hugepage_limits[0].page_size, "2MB");
    ASSERT_TRUE(r->network);
    EXPECT_EQ(r->network->class_id, 1048577u);
    EXPECT_EQ(r->network->priorities[0].name, "eth0");
    EXPECT_EQ(r->rdma.at("mlx5_1").hca_objects, 10000u);
    ASSERT_TRUE(r->devices);
    ASSERT_EQ(r->devices->size(), 2u);
    EXPECT_EQ((*r->devices)[0], (DeviceRule{'a', -1, -1, kDevAll, false}));
    EXPECT_EQ((*r->devices)[1], (DeviceRule{'c', 1, 3, kDevRead | kDevWrite, true}));
    EXPECT_EQ(r->unified.at("memory.high"), "1073741824");
    EXPECT_EQ(controllers_needed(*r), kCpu | kCpuset | kMemory | kPids | kIo | kHugetlb | kDevices |
                                          kNetCls | kNetPrio | kRdma);
}

TEST(Resources, EmptyAndNullAreNothing) {
    for (const Json& j : {Json(), Json::object()}) {
        auto r = parse_resources(j);
        ASSERT_TRUE(r);
        EXPECT_FALSE(r->memory);
        EXPECT_FALSE(r->devices);  // absent: the device policy is left alone
        EXPECT_EQ(controllers_needed(*r), 0u);
    }
    auto empty_devices = parse_resources(Json::parse(R"({"devices": []})"));
    ASSERT_TRUE(empty_devices);
    ASSERT_TRUE(empty_devices->devices);  // present and empty: deny everything
    EXPECT_TRUE(empty_devices->devices->empty());
}

TEST(Resources, ErrorsNameTheField) {
    struct Case {
        const char* json;
        const char* field;
    } cases[] = {
        {R"({"memory": {"limit": "1g"}})", "linux.resources.memory.limit"},
        {R"({"memory": {"swappiness": 101}})", "linux.resources.memory.swappiness"},
        {R"({"cpu": {"shares": -5}})", "linux.resources.cpu.shares"},
        {R"({"cpu": []})", "linux.resources.cpu"},
        {R"({"blockIO": {"weight": 70000}})", "linux.resources.blockIO.weight"},
        {R"({"blockIO": {"throttleReadBpsDevice": [{"minor": 0, "rate": 1}]}})",
         "linux.resources.blockIO.throttleReadBpsDevice[0]"},
        {R"({"hugepageLimits": [{"pageSize": "../../x", "limit": 1}]})",
         "linux.resources.hugepageLimits[0].pageSize"},
        {R"({"devices": [{"allow": true, "type": "x", "access": "r"}]})",
         "linux.resources.devices[0].type"},
        {R"({"devices": [{"allow": true, "type": "c"}]})", "linux.resources.devices[0].access"},
        {R"({"devices": [{"allow": true, "access": "rwx"}]})", "linux.resources.devices[0].access"},
        {R"({"unified": {"../memory.max": "1"}})", "linux.resources.unified.../memory.max"},
        {R"({"unified": {"memory.max": 1}})", "linux.resources.unified.memory.max"},
        {R"({"network": {"priorities": [{"name": "eth0/x", "priority": 1}]}})",
         "linux.resources.network.priorities[0].name"},
        {R"([])", "linux.resources"},
    };
    for (const auto& c : cases) {
        auto r = parse_resources(Json::parse(c.json));
        ASSERT_FALSE(r) << c.json;
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument) << c.json;
        EXPECT_EQ(r.error().message().rfind(c.field, 0), 0u)
            << c.json << " → " << r.error().message();
    }
}

TEST(Resources, SwappinessMinusOneIsUnset) {
    auto r = parse_resources(Json::parse(R"({"memory": {"swappiness": -1}})"));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(controllers_needed(*r), 0u);
}

TEST(Resources, ControllerNamesAndBits) {
    EXPECT_EQ(controller_names(kMemory | kHugetlb), "memory, hugetlb");
    EXPECT_EQ(controller_bit("blkio"), kIo);
    EXPECT_EQ(controller_bit("io"), kIo);
    EXPECT_EQ(controller_bit("cpuacct"), 0u);
    EXPECT_EQ(controller_bit("name=systemd"), 0u);
}

TEST(Resources, CpuSharesToWeight) {
    EXPECT_EQ(cpu_shares_to_weight(0), 0u);
    EXPECT_EQ(cpu_shares_to_weight(1), 1u);
    EXPECT_EQ(cpu_shares_to_weight(2), 1u);
    EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
    EXPECT_EQ(cpu_shares_to_weight(100000), 3815u);
    EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
    EXPECT_EQ(cpu_shares_to_weight(1000000), 10000u);
}

TEST(Resources, BlkioWeightToIoWeight) {
    EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
    EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
    EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

TEST(Resources, MemorySwapToV2) {
    EXPECT_EQ(memory_swap_to_v2(0, -1).value(), -1);      // unlimited memory, swap unset
    EXPECT_EQ(memory_swap_to_v2(-1, 100).value(), -1);    // unlimited swap
    EXPECT_EQ(memory_swap_to_v2(0, 100).value(), 0);      // unset
    EXPECT_EQ(memory_swap_to_v2(300, -1).value(), 300);   // memory unlimited: as is
    EXPECT_EQ(memory_swap_to_v2(300, 100).value(), 200);  // memory + swap − memory
    EXPECT_EQ(memory_swap_to_v2(100, 100).value(), 0);    // no swap at all
    EXPECT_FALSE(memory_swap_to_v2(300, 0));              // swap without memory limit
    EXPECT_FALSE(memory_swap_to_v2(50, 100));             // memory+swap below memory
    EXPECT_FALSE(memory_swap_to_v2(300, -5));
}

}  // namespace
}  // namespace berth::runtime::cgroups
