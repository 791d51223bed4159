#include "views/container_stats.h"

#include <gtest/gtest.h>

namespace berth::views {
namespace {

// What runc's `events --stats` prints on a cgroup v1 host (trimmed).
Json v1_event(uint64_t cpu_total) {
    return Json::parse(R"({"type":"stats","id":"abc","data":{
      "cpu":{"usage":{"total":)" +
                       std::to_string(cpu_total) + R"(,"percpu":[1,2],"kernel":30,"user":40},
             "throttling":{"periods":5,"throttledPeriods":1,"throttledTime":7}},
      "memory":{"cache":4096,
                "usage":{"limit":9223372036854771712,"usage":10485760,"max":20971520,"failcnt":3},
                "raw":{"cache":4096,"rss":8192,"total_inactive_file":2097152,"shmem":1}},
      "pids":{"current":4},
      "blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":100},
                                          {"major":8,"op":"Write","value":50}],
               "ioServicedRecursive":[{"major":8,"op":"Read","value":2}]}}})");
}

// The same on a cgroup v2 host.
Json v2_data(uint64_t cpu_total) {
    return Json::parse(R"({
      "cpu":{"usage":{"total":)" +
                       std::to_string(cpu_total) + R"(,"kernel":3000,"user":4000}},
      "memory":{"cache":100,"usage":{"limit":536870912,"usage":1048576,"failcnt":0},
                "raw":{"anon":900000,"file":100,"inactive_file":48576}},
      "pids":{"current":2,"limit":100},
      "blkio":{"ioServiceBytesRecursive":[{"major":254,"op":"Read","value":10},
                                          {"major":254,"op":"Write","value":20}]}})");
}

StatsSample sample(Json data, uint64_t system, std::string read) {
    StatsSample s;
    s.runtime_stats_data = std::move(data);
    s.system_cpu_usage = system;
    s.online_cpus = 2;
    s.read_time = std::move(read);
    s.machine_memory = 8ull << 30;
    return s;
}

// docker CLI's CPU % (calculateCPUPercentUnix).
double cli_cpu_percent(const Json& j) {
    double cpu = j["cpu_stats"]["cpu_usage"]["total_usage"].get<double>() -
                 j["precpu_stats"]["cpu_usage"]["total_usage"].get<double>();
    double system = j["cpu_stats"].value("system_cpu_usage", 0.0) -
                    j["precpu_stats"].value("system_cpu_usage", 0.0);
    return system > 0 && cpu > 0 ? cpu / system * j["cpu_stats"]["online_cpus"].get<double>() * 100
                                 : 0;
}

TEST(ContainerStats, CgroupV1Shape) {
    auto before = sample(v1_event(1'000'000'000), 10'000'000'000, "2024-01-01T00:00:00Z");
    auto now = sample(v1_event(1'500'000'000), 12'000'000'000, "2024-01-01T00:00:01Z");
    Json j = docker_stats_json(now, &before, "abc", "web");
    EXPECT_EQ(j["name"], "/web");
    EXPECT_EQ(j["id"], "abc");
    EXPECT_EQ(j["read"], "2024-01-01T00:00:01Z");
    EXPECT_EQ(j["preread"], "2024-01-01T00:00:00Z");
    EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["percpu_usage"], Json({1, 2}));
    EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["usage_in_kernelmode"], 30);
    EXPECT_EQ(j["cpu_stats"]["throttling_data"]["throttled_periods"], 1);
    EXPECT_EQ(j["cpu_stats"]["system_cpu_usage"], 12'000'000'000ull);
    EXPECT_EQ(j["precpu_stats"]["system_cpu_usage"], 10'000'000'000ull);
    EXPECT_DOUBLE_EQ(cli_cpu_percent(j), 50.0);  // 0.5 s of 2 s of two CPUs

    const Json& m = j["memory_stats"];
    EXPECT_EQ(m["usage"], 10485760);
    EXPECT_EQ(m["max_usage"], 20971520);
    EXPECT_EQ(m["failcnt"], 3);
    EXPECT_EQ(m["limit"], 8ull << 30);  // unlimited: the host's memory
    EXPECT_EQ(m["stats"]["total_inactive_file"], 2097152);
    EXPECT_EQ(m["stats"]["rss"], 8192);
    EXPECT_EQ(m["stats"]["total_unevictable"], 0);  // docker's key set, zeros included
    EXPECT_FALSE(m["stats"].contains("shmem"));
    // docker stats: MEM USAGE = usage - total_inactive_file = 8 MiB.
    EXPECT_EQ(m["usage"].get<uint64_t>() - m["stats"]["total_inactive_file"].get<uint64_t>(),
              8u << 20);

    EXPECT_EQ(j["pids_stats"], Json({{"current", 4}}));
    EXPECT_EQ(j["blkio_stats"]["io_service_bytes_recursive"][0],
              Json({{"major", 8}, {"minor", 0}, {"op", "Read"}, {"value", 100}}));
    EXPECT_EQ(j["blkio_stats"]["io_serviced_recursive"].size(), 1u);
    EXPECT_TRUE(j["blkio_stats"]["sectors_recursive"].is_null());
    EXPECT_EQ(j["num_procs"], 0);
    EXPECT_EQ(j["storage_stats"], Json::object());
}

TEST(ContainerStats, CgroupV2Shape) {
    auto now = sample(v2_data(7000), 5000, "2024-01-01T00:00:01Z");
    Json j = docker_stats_json(now, nullptr, "abc", "/db");
    EXPECT_EQ(j["name"], "/db");
    EXPECT_EQ(j["preread"], "0001-01-01T00:00:00Z");
    EXPECT_EQ(j["precpu_stats"]["cpu_usage"]["total_usage"], 0);
    EXPECT_FALSE(j["precpu_stats"].contains("system_cpu_usage"));
    EXPECT_FALSE(j["cpu_stats"]["cpu_usage"].contains("percpu_usage"));
    EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["total_usage"], 7000);
    EXPECT_EQ(j["cpu_stats"]["online_cpus"], 2);

    const Json& m = j["memory_stats"];
    EXPECT_EQ(m["usage"], 1048576);
    EXPECT_FALSE(m.contains("max_usage"));
    EXPECT_FALSE(m.contains("failcnt"));
    EXPECT_EQ(m["limit"], 536870912);  // a real limit stays
    EXPECT_EQ(m["stats"]["inactive_file"], 48576);
    EXPECT_EQ(m["stats"]["anon"], 900000);
    EXPECT_FALSE(m["stats"].contains("total_inactive_file"));
    EXPECT_EQ(j["pids_stats"], Json({{"current", 2}, {"limit", 100}}));
    EXPECT_EQ(j["blkio_stats"]["io_service_bytes_recursive"][1]["op"], "write");
    EXPECT_TRUE(j["blkio_stats"]["io_serviced_recursive"].is_null());
}

TEST(ContainerStats, MalformedRuntimeJsonIsZeroNotAnError) {
    auto now = sample(Json::parse(R"({"cpu":"x","memory":{"usage":[1]},"pids":null})"), 1, "t");
    Json j = docker_stats_json(now, nullptr, "id", "n");
    EXPECT_EQ(j["cpu_stats"]["cpu_usage"]["total_usage"], 0);
    EXPECT_EQ(j["memory_stats"]["limit"], 8ull << 30);
    EXPECT_EQ(j["pids_stats"], Json::object());
}

TEST(ContainerStats, NotRunning) {
    Json j = docker_stats_not_running_json("id", "name");
    EXPECT_EQ(j["name"], "/name");
    EXPECT_EQ(j["read"], "0001-01-01T00:00:00Z");
    EXPECT_EQ(j["memory_stats"], Json::object());
}

TEST(ContainerStats, ProcStat) {
    auto cpu = parse_proc_stat(
        "cpu  100 2 30 400 5 6 7 8 0 0\ncpu0 50 1 15 200 2 3 3 4 0 0\n"
        "cpu1 50 1 15 200 3 3 4 4 0 0\nintr 1 2 3\ncpu9 1 1 1 1 1 1 1\n");
    ASSERT_TRUE(cpu) << cpu.error().message();
    EXPECT_EQ(cpu->usage_ns, 550ull * 10'000'000);  // first seven fields, 100 ticks a second
    EXPECT_EQ(cpu->online_cpus, 2u);
    EXPECT_FALSE(parse_proc_stat("cpu  1 2\n"));

    auto real = read_system_cpu();
    ASSERT_TRUE(real) << real.error().message();
    EXPECT_GT(real->usage_ns, 0u);
    EXPECT_GE(real->online_cpus, 1u);
    auto sampled = sample_stats(v1_event(1));
    ASSERT_TRUE(sampled) << sampled.error().message();
    EXPECT_GT(sampled->machine_memory, 0u);
    EXPECT_FALSE(sampled->read_time.empty());
}

}  // namespace
}  // namespace berth::views
