// OCI linux.resources as typed values, and the v1 → v2 conversions runc applies.
//
// A field left out (or null) leaves the corresponding cgroup setting as it is, so the same type
// serves `create` (the full set) and `update` (only what changes). `devices` follows the same
// rule: absent keeps the device policy; present (even empty) replaces it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "runtime/cgroups/device_rules.h"

namespace berth::runtime::cgroups {

struct WeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight;
    std::optional<uint16_t> leaf_weight;
};

struct ThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

struct HugepageLimit {
    std::string page_size;  // "2MB", "1GB"
    uint64_t limit = 0;
};

struct NetPriority {
    std::string name;  // interface
    uint32_t priority = 0;
};

struct RdmaLimit {
    std::optional<uint32_t> hca_handles;
    std::optional<uint32_t> hca_objects;
};

struct Resources {
    struct Memory {
        std::optional<int64_t> limit;        // bytes; -1: unlimited
        std::optional<int64_t> reservation;  // soft limit (v2 memory.low)
        std::optional<int64_t> swap;         // memory + swap, as v1 counts it; -1: unlimited
        std::optional<int64_t> swappiness;   // 0..100 (v1 only); -1: unset
        bool disable_oom_killer = false;     // v1 only
        bool check_before_update = false;    // v2: refuse a limit at or below the usage
    };
    struct Cpu {
        std::optional<uint64_t> shares;
        std::optional<int64_t> quota;  // µs per period; -1: unlimited
        std::optional<uint64_t> burst;
        std::optional<uint64_t> period;
        std::optional<int64_t> realtime_runtime;  // v1 only
        std::optional<uint64_t> realtime_period;  // v1 only
        std::string cpus;                         // cpuset, "0-3,7"
        std::string mems;
        std::optional<int64_t> idle;
    };
    struct BlockIo {
        std::optional<uint16_t> weight;  // 10..1000
        std::optional<uint16_t> leaf_weight;
        std::vector<WeightDevice> weight_device;
        std::vector<ThrottleDevice> throttle_read_bps, throttle_write_bps, throttle_read_iops,
            throttle_write_iops;
        bool any_throttle() const {
            return !throttle_read_bps.empty() || !throttle_write_bps.empty() ||
                   !throttle_read_iops.empty() || !throttle_write_iops.empty();
        }
    };
    struct Network {
        std::optional<uint32_t> class_id;
        std::vector<NetPriority> priorities;
    };

    std::optional<Memory> memory;
    std::optional<Cpu> cpu;
    std::optional<int64_t> pids_limit;  // > 0: limit; 0: one process (as runc); < 0: unlimited
    std::optional<BlockIo> block_io;
    std::vector<HugepageLimit> hugepage_limits;
    std::optional<Network> network;
    std::map<std::string, RdmaLimit> rdma;  // by device
    std::optional<std::vector<DeviceRule>> devices;
    std::map<std::string, std::string> unified;  // v2 file name → content
};

// Parses linux.resources (null or {} are empty Resources); errors name the field, e.g.
// "linux.resources.memory.limit: must be an integer, not a string".
Result<Resources> parse_resources(const Json& resources);

// Controllers a set of resources touches, as a bit mask.
enum Controller : uint32_t {
    kCpu = 1u << 0,
    kCpuset = 1u << 1,
    kMemory = 1u << 2,
    kPids = 1u << 3,
    kIo = 1u << 4,  // v1 blkio, v2 io
    kHugetlb = 1u << 5,
    kDevices = 1u << 6,
    kNetCls = 1u << 7,
    kNetPrio = 1u << 8,
    kRdma = 1u << 9,
    kFreezer = 1u << 10,
};
uint32_t controllers_needed(const Resources& r);
// "cpu", "cpuset", "memory", "pids", "io", "hugetlb", "devices", "net_cls", "net_prio", "rdma",
// "freezer"; comma-separated for several bits.
std::string controller_names(uint32_t mask);
// The controller bit of a v1 subsystem name ("blkio" → kIo, "cpuacct" → 0) or v2 controller
// name ("io" → kIo).
uint32_t controller_bit(std::string_view name);

// cpu.shares (v1, 2..262144) → cpu.weight (v2, 1..10000): the linear mapping
// 1 + (shares - 2) * 9999 / 262142 (crun, runc ≤ 1.3.0), clamped to the v2 range; 0 stays 0.
uint64_t cpu_shares_to_weight(uint64_t shares);
// blkio.weight (10..1000) → io.weight (1..10000): 1 + (weight - 10) * 9999 / 990; 0 stays 0.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// OCI memory.swap counts memory + swap; v2 memory.swap.max counts swap alone. Returns the value
// for memory.swap.max (-1: "max", 0 with swap unset: leave alone), or an error for an impossible
// pair, as runc's ConvertMemorySwapToCgroupV2Value.
Result<int64_t> memory_swap_to_v2(int64_t swap, int64_t memory);

}  // namespace berth::runtime::cgroups
