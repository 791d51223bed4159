#include "runtime/cgroups/cgroup_stats.h"

#include <gtest/gtest.h>

#include "runtime/cgroups/cgroup_manager.h"
#include "runtime/cgroups/cgroup_test_support.h"
#include "runtime/cgroups/fake_cgroup_io.h"
#include "runtime/cgroups/stats_readers.h"

namespace berth::runtime::cgroups {
namespace {

using testing::FakeHost;
using testing::put;
using testing::TempDir;

void put_v1_files(const std::string& root, const std::string& rel) {
    auto in = [&](const char* hierarchy, const char* file) {
        return root + "/" + hierarchy + rel + "/" + file;
    };
    put(in("cpu", "cpu.stat"), "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n");
    put(in("cpuacct", "cpuacct.usage"), "123456789\n");
    put(in("cpuacct", "cpuacct.usage_percpu"), "100 200 \n");
    put(in("cpuacct", "cpuacct.stat"), "user 10\nsystem 5\n");
    put(in("cpuacct", "cpuacct.usage_all"), "cpu user system\n0 60 40\n1 150 50\n");
    put(in("cpuset", "cpuset.cpus"), "0-2,5\n");
    put(in("cpuset", "cpuset.mems"), "0\n");
    put(in("cpuset", "cpuset.sched_load_balance"), "1\n");
    put(in("cpuset", "cpuset.sched_relax_domain_level"), "-1\n");
    put(in("memory", "memory.stat"), "cache 4096\nrss 8192\ntotal_cache 4096\n");
    put(in("memory", "memory.usage_in_bytes"), "12288\n");
    put(in("memory", "memory.max_usage_in_bytes"), "16384\n");
    put(in("memory", "memory.failcnt"), "0\n");
    put(in("memory", "memory.limit_in_bytes"), "9223372036854771712\n");
    put(in("memory", "memory.memsw.usage_in_bytes"), "12288\n");
    put(in("memory", "memory.memsw.max_usage_in_bytes"), "16384\n");
    put(in("memory", "memory.memsw.failcnt"), "0\n");
    put(in("memory", "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
    put(in("pids", "pids.current"), "3\n");
    put(in("pids", "pids.max"), "max\n");
    // BFQ's counters present but empty: runc moves on to the throttling layer's.
    put(in("blkio", "blkio.bfq.io_serviced_recursive"), "");
    put(in("blkio", "blkio.throttle.io_service_bytes"),
        "8:0 Read 1282048\n8:0 Write 2195456\n8:0 Sync 2195456\n8:0 Async 1282048\n"
        "8:0 Total 3477504\nTotal 3477504\n");
    put(in("blkio", "blkio.throttle.io_serviced"), "8:0 Read 124\n8:0 Write 104\nTotal 228\n");
    put(in("hugetlb", "hugetlb.2MB.limit_in_bytes"), "9223372036854771712\n");
    put(in("hugetlb", "hugetlb.2MB.usage_in_bytes"), "0\n");
    put(in("hugetlb", "hugetlb.2MB.max_usage_in_bytes"), "2097152\n");
    put(in("hugetlb", "hugetlb.2MB.failcnt"), "1\n");
}

TEST(CgroupStats, V1FilesThroughTheManagerInRuncShape) {
    auto host = FakeHost::v1({"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "hugetlb"});
    put_v1_files(host.root(), "/berth/abc");
    auto m = make_cgroup_manager(host.probe(), {"/berth/abc"}, std::make_shared<FakeCgroupIo>());
    ASSERT_TRUE(m);
    auto stats = (*m)->stats();
    ASSERT_TRUE(stats) << stats.error().message();
    Json event = stats_event_json("abc", *stats);
    EXPECT_EQ(event["type"], "stats");
    EXPECT_EQ(event["id"], "abc");
    const Json& d = event["data"];

    EXPECT_EQ(d["cpu"], Json::parse(R"({
        "usage": {"total": 123456789, "percpu": [100, 200], "percpu_kernel": [40, 50],
                  "percpu_user": [60, 150], "kernel": 50000000, "user": 100000000},
        "throttling": {"periods": 10, "throttledPeriods": 2, "throttledTime": 5000}})"));
    EXPECT_EQ(d["cpuset"]["cpus"], Json::parse("[0, 1, 2, 5]"));
    EXPECT_EQ(d["cpuset"]["mems"], Json::parse("[0]"));
    EXPECT_EQ(d["cpuset"]["sched_load_balance"], 1);
    EXPECT_EQ(d["cpuset"]["sched_relax_domain_level"], -1);
    EXPECT_EQ(d["cpuset"]["cpu_exclusive"], 0);

    EXPECT_EQ(d["memory"]["cache"], 4096);
    EXPECT_EQ(d["memory"]["usage"], Json::parse(R"({"limit": 9223372036854771712, "usage": 12288,
                                                    "max": 16384, "failcnt": 0})"));
    EXPECT_EQ(d["memory"]["swap"]["usage"], 12288);
    EXPECT_FALSE(d["memory"].contains("kernel"));  // all zero: left out, as runc does
    EXPECT_EQ(d["memory"]["raw"]["rss"], 8192);

    EXPECT_EQ(d["pids"], Json::parse(R"({"current": 3})"));  // no limit: 0, left out

    ASSERT_EQ(d["blkio"]["ioServiceBytesRecursive"].size(), 5u);
    // minor 0 is left out (omitempty), exactly as runc prints it.
    EXPECT_EQ(d["blkio"]["ioServiceBytesRecursive"][0],
              Json::parse(R"({"major": 8, "op": "Read", "value": 1282048})"));
    EXPECT_EQ(d["blkio"]["ioServicedRecursive"][1],
              Json::parse(R"({"major": 8, "op": "Write", "value": 104})"));
    EXPECT_FALSE(d["blkio"].contains("sectorsRecursive"));

    EXPECT_EQ(d["hugetlb"], Json::parse(R"({"2MB": {"max": 2097152, "failcnt": 1}})"));
    EXPECT_EQ(d["intel_rdt"], Json::object());
    EXPECT_TRUE(d["network_interfaces"].is_null());
}

TEST(CgroupStats, V1BlkioPrefersRecursiveCfqCounters) {
    TempDir dir;
    put(dir / "blkio.sectors_recursive", "8:0 6792\n");
    put(dir / "blkio.io_service_bytes_recursive", "8:0 Read 10\nTotal 10\n");
    put(dir / "blkio.throttle.io_service_bytes", "8:0 Read 999\n");
    CgroupStats s;
    CgroupIo io;
    ASSERT_TRUE(read_v1_blkio_stats(io, dir.path(), s));
    EXPECT_EQ(s.blkio.sectors_recursive, (std::vector<BlkioEntry>{{8, 0, "", 6792}}));
    EXPECT_EQ(s.blkio.io_service_bytes_recursive, (std::vector<BlkioEntry>{{8, 0, "Read", 10}}));
    put(dir / "blkio.io_serviced_recursive", "8:0 Read\n");
    EXPECT_FALSE(read_v1_blkio_stats(io, dir.path(), s));  // malformed is an error
}

TEST(CgroupStats, V2FilesInRuncShape) {
    TempDir dir;
    put(dir / "memory.stat", "anon 1000\nfile 2000\n");
    put(dir / "memory.current", "3000\n");
    put(dir / "memory.max", "max\n");
    put(dir / "memory.peak", "4000\n");
    put(dir / "memory.swap.current", "100\n");
    put(dir / "memory.swap.max", "max\n");
    put(dir / "cpu.stat",
        "usage_usec 1000\nuser_usec 600\nsystem_usec 400\nnr_periods 0\nnr_throttled 0\n"
        "throttled_usec 0\n");
    put(dir / "cpu.pressure",
        "some avg10=0.50 avg60=0.10 avg300=0.00 total=12345\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    put(dir / "pids.current", "2\n");
    put(dir / "pids.max", "50\n");
    put(dir / "io.stat", "8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n");
    put(dir / "hugetlb.2MB.max", "max\n");
    put(dir / "hugetlb.2MB.current", "0\n");
    put(dir / "hugetlb.2MB.events", "max 0\n");
    CgroupStats s;
    CgroupIo io;
    auto read = read_v2_stats(io, dir.path(), s);
    ASSERT_TRUE(read) << read.error().message();
    Json d = stats_to_json(s);
    EXPECT_EQ(d["cpu"], Json::parse(R"({
        "usage": {"total": 1000000, "kernel": 400000, "user": 600000},
        "psi": {"some": {"avg10": 0.5, "avg60": 0.1, "avg300": 0.0, "total": 12345}}})"));
    EXPECT_EQ(d["memory"]["cache"], 2000);
    EXPECT_EQ(d["memory"]["usage"], Json::parse(R"({"limit": 18446744073709551615, "usage": 3000,
                                                    "max": 4000, "failcnt": 0})"));
    // v1's meaning: memory + swap.
    EXPECT_EQ(d["memory"]["swap"], Json::parse(R"({"limit": 18446744073709551615, "usage": 3100,
                                                   "failcnt": 0})"));
    EXPECT_EQ(d["memory"]["raw"], Json::parse(R"({"anon": 1000, "file": 2000})"));
    EXPECT_EQ(d["pids"], Json::parse(R"({"current": 2, "limit": 50})"));
    EXPECT_EQ(d["blkio"]["ioServiceBytesRecursive"],
              Json::parse(R"([{"major": 8, "op": "Read", "value": 1024},
                              {"major": 8, "op": "Write", "value": 2048}])"));
    EXPECT_EQ(d["blkio"]["ioServicedRecursive"],
              Json::parse(R"([{"major": 8, "op": "Read", "value": 1},
                              {"major": 8, "op": "Write", "value": 2}])"));
    EXPECT_EQ(d["hugetlb"], Json::parse(R"({"2MB": {"failcnt": 0}})"));
}

TEST(CgroupStats, V2PidsWithoutTheControllerCountProcesses) {
    TempDir dir;
    put(dir / "cgroup.procs", "1\n2\n3\n");
    CgroupStats s;
    CgroupIo io;
    ASSERT_TRUE(read_v2_stats(io, dir.path(), s));
    EXPECT_EQ(s.pids.current, 3u);
    EXPECT_EQ(s.pids.limit, 0u);
}

TEST(CgroupStats, EmptyStatsKeepRuncsAlwaysPresentFields) {
    Json d = stats_to_json(CgroupStats{});
    EXPECT_EQ(d["cpu"], Json::object());
    EXPECT_EQ(d["memory"], Json::object());
    EXPECT_EQ(d["pids"], Json::object());
    EXPECT_EQ(d["blkio"], Json::object());
    EXPECT_EQ(d["hugetlb"], Json::object());
    EXPECT_EQ(d["cpuset"]["memory_pressure"], 0);
}

TEST(CgroupStats, Parsers) {
    EXPECT_EQ(parse_cpu_list("0-3,7\n").value(), (std::vector<uint16_t>{0, 1, 2, 3, 7}));
    EXPECT_EQ(parse_cpu_list("").value(), std::vector<uint16_t>{});
    EXPECT_FALSE(parse_cpu_list("3-1"));
    EXPECT_FALSE(parse_cpu_list("a"));
    auto psi = parse_psi("some avg10=1.25 avg60=0.00 avg300=0.00 total=7\n");
    ASSERT_TRUE(psi);
    EXPECT_DOUBLE_EQ(psi->some.avg10, 1.25);
    EXPECT_EQ(psi->some.total, 7u);
    EXPECT_FALSE(parse_psi("some avg10\n"));
    EXPECT_EQ(parse_cgroup_uint("max\n").value(), UINT64_MAX);
    EXPECT_EQ(parse_cgroup_uint("-1").value(), 0u);
    EXPECT_FALSE(parse_cgroup_uint("12a"));
}

}  // namespace
}  // namespace berth::runtime::cgroups
