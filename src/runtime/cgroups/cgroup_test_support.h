// Test support (header only): temporary fake cgroupfs trees for v1, v2 and hybrid hosts, and a
// small interpreter for the device filter programs (see bpf_device_filter.h).
#pragma once

#include <linux/bpf.h>
#include <unistd.h>

#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "base/fs.h"
#include "base/test_support.h"
#include "runtime/cgroups/cgroup_io.h"
#include "runtime/cgroups/cgroup_layout.h"

namespace berth::runtime::cgroups::testing {

using berth::TempDir;  // the unit tests' shared fixture (base/test_support.h)

inline void put(const std::string& path, std::string_view content) {
    auto slash = path.find_last_of('/');
    (void)mkdir_all(path.substr(0, slash));
    (void)write_file(path, content);
}

inline std::string contents(const std::string& path) {
    return read_file(path).value_or("<missing>");
}

// A host described by files under a temporary directory:
//   <tmp>/cgroup            the cgroup root (what /sys/fs/cgroup is)
//   <tmp>/mountinfo         its mounts
//   <tmp>/self-cgroup       /proc/self/cgroup
class FakeHost {
  public:
    // Pure v2: the root is a cgroup2 mount holding `controllers`.
    static FakeHost v2(std::string_view controllers = "cpuset cpu io memory hugetlb pids rdma misc",
                       std::string_view own = "/") {
        FakeHost h;
        put(h.root() + "/cgroup.controllers", std::string(controllers) + "\n");
        put(h.root() + "/cgroup.subtree_control", "");
        put(h.dir_ / "mountinfo",
            "30 23 0:26 / " + h.root() + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
        put(h.dir_ / "self-cgroup", "0::" + std::string(own) + "\n");
        return h;
    }

    // v1 hierarchies (one per entry, comounts as "cpu,cpuacct"), plus name=systemd, plus —
    // for hybrid — a cgroup2 mount at <root>/unified with `unified_controllers`.
    static FakeHost v1(std::initializer_list<std::string_view> hierarchies, bool hybrid = false,
                       std::string_view unified_controllers = "") {
        FakeHost h;
        std::string mountinfo = "25 1 0:22 / " + h.root() + " rw - tmpfs tmpfs rw,mode=755\n";
        std::string self;
        int id = 30, n = 1;
        auto add_v1 = [&](std::string_view name, std::string_view options) {
            std::string dir = h.root() + "/" + std::string(name);
            (void)mkdir_all(dir);
            int mount_id = id++;
            mountinfo += std::to_string(mount_id) + " 25 0:" + std::to_string(mount_id) + " / " +
                         dir + " rw,nosuid shared:9 - cgroup cgroup rw," + std::string(options) +
                         "\n";
            self += std::to_string(n++) + ":" + std::string(options) + ":/\n";
        };
        for (auto name : hierarchies)
            add_v1(name, name);
        add_v1("systemd", "name=systemd");
        if (hybrid) {
            std::string dir = h.root() + "/unified";
            put(dir + "/cgroup.controllers", std::string(unified_controllers) + "\n");
            put(dir + "/cgroup.subtree_control", "");
            mountinfo += std::to_string(id++) + " 25 0:99 / " + dir +
                         " rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n";
            self += "0::/\n";
        }
        put(h.dir_ / "mountinfo", mountinfo);
        put(h.dir_ / "self-cgroup", self);
        return h;
    }

    FakeHost(FakeHost&&) = default;

    std::string root() const { return dir_ / "cgroup"; }
    CgroupHostPaths paths() const { return {root(), dir_ / "mountinfo", dir_ / "self-cgroup"}; }
    void set_self_cgroup(std::string_view text) const { put(dir_ / "self-cgroup", text); }
    CgroupHost probe() const { return probe_cgroup_host(paths()).value(); }

  private:
    FakeHost() = default;
    TempDir dir_;
};

// Runs a program of the instructions build_device_filter emits on one device access; returns
// its verdict, or -1 for an instruction it does not know or a run off the end.
inline int run_device_filter(const BpfProgram& prog, uint32_t type, uint32_t access, uint32_t major,
                             uint32_t minor) {
    uint32_t ctx[3] = {type | (access << 16), major, minor};
    uint64_t r[11] = {};
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const bpf_insn& i = prog[pc];
        switch (i.code) {
            case BPF_LDX | BPF_MEM | BPF_W:
                if (i.src_reg != 1 || i.off < 0 || i.off > 8 || i.off % 4) return -1;
                r[i.dst_reg] = ctx[i.off / 4];
                break;
            case BPF_ALU | BPF_AND | BPF_K:
                r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) & static_cast<uint32_t>(i.imm);
                break;
            case BPF_ALU | BPF_RSH | BPF_K:
                r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm;
                break;
            case BPF_ALU | BPF_MOV | BPF_X:
                r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]);
                break;
            case BPF_ALU | BPF_MOV | BPF_K:
                r[i.dst_reg] = static_cast<uint32_t>(i.imm);
                break;
            case BPF_JMP | BPF_JNE | BPF_K:
                if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
                break;
            case BPF_JMP | BPF_JEQ | BPF_K:
                if (r[i.dst_reg] == static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
                break;
            case BPF_JMP | BPF_JNE | BPF_X:
                if (r[i.dst_reg] != r[i.src_reg]) pc += i.off;
                break;
            case BPF_JMP | BPF_EXIT:
                return static_cast<int>(r[0]);
            default:
                return -1;
        }
    }
    return -1;
}

}  // namespace berth::runtime::cgroups::testing
