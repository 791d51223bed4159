#include "runtime/cgroups/bpf_device_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "runtime/cgroups/cgroup_layout.h"
#include "runtime/cgroups/cgroup_test_support.h"

namespace berth::runtime::cgroups {
namespace {

using testing::run_device_filter;

DeviceRule allow(char type, int64_t major, int64_t minor, uint8_t access = kDevAll) {
    return {type, major, minor, access, true};
}
DeviceRule deny(char type, int64_t major, int64_t minor, uint8_t access = kDevAll) {
    return {type, major, minor, access, false};
}

uint32_t bpf_access(uint8_t access) {
    uint32_t out = 0;
    if (access & kDevRead) out |= BPF_DEVCG_ACC_READ;
    if (access & kDevWrite) out |= BPF_DEVCG_ACC_WRITE;
    if (access & kDevMknod) out |= BPF_DEVCG_ACC_MKNOD;
    return out;
}

// The program decides every access exactly as the emulated v1 policy does.
void expect_program_matches_policy(const std::vector<DeviceRule>& rules) {
    auto policy = DevicePolicy::from_rules(rules);
    ASSERT_TRUE(policy) << policy.error().message();
    auto program = build_device_filter(*policy);
    for (char type : {'c', 'b'}) {
        for (uint32_t major : {0u, 1u, 5u, 8u, 136u, 4095u, 0x80000000u, 0xffffffffu}) {
            for (uint32_t minor : {0u, 2u, 3u, 5u, 9u, 1048575u, 0x80000000u, 0xffffffffu}) {
                for (uint8_t access = 1; access <= kDevAll; ++access) {
                    int verdict = run_device_filter(
                        program, type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                        bpf_access(access), major, minor);
                    ASSERT_NE(verdict, -1) << "the program does not run to an exit";
                    EXPECT_EQ(verdict == 1, policy->allows(type, major, minor, access))
                        << type << " " << major << ":" << minor << " "
                        << device_access_string(access);
                }
            }
        }
    }
}

TEST(BpfDeviceFilter, AllowListProgramMatchesThePolicy) {
    expect_program_matches_policy({deny('a', -1, -1), allow('c', 1, 3), allow('c', 1, 5, kDevRead),
                                   allow('c', 136, -1), allow('b', -1, -1, kDevMknod),
                                   allow('c', 5, 2, kDevRead | kDevWrite)});
}

// Rules take numbers up to UINT32_MAX; the program compares them as the 32-bit numbers they are
// (found by fuzz/device_filter_fuzz.cpp: a sign-extended immediate never matched).
TEST(BpfDeviceFilter, NumbersAboveInt32MaxMatch) {
    expect_program_matches_policy({deny('a', -1, -1), allow('c', 0xffffffff, 0x80000000, kDevRead),
                                   allow('b', 0x80000000, -1)});
    expect_program_matches_policy({allow('a', -1, -1), deny('c', 1, 0xffffffff)});
}

TEST(BpfDeviceFilter, DenyListProgramMatchesThePolicy) {
    expect_program_matches_policy({allow('a', -1, -1), deny('b', 8, -1), deny('c', 1, 5, kDevWrite),
                                   deny('c', -1, 9, kDevMknod)});
}

TEST(BpfDeviceFilter, EmptyRulesDenyEverythingAndAllowAllAllowsEverything) {
    auto deny_all = build_device_filter(DevicePolicy());
    EXPECT_EQ(run_device_filter(deny_all, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 0);
    auto allow_all = build_device_filter(DevicePolicy::from_rules({allow('a', -1, -1)}).value());
    EXPECT_EQ(run_device_filter(allow_all, BPF_DEVCG_DEV_BLOCK, BPF_DEVCG_ACC_WRITE, 8, 0), 1);
    // Six loads of the context, then the default verdict.
    EXPECT_EQ(deny_all.size(), 8u);
}

TEST(BpfDeviceFilter, RuncDefaultsMatchThePolicy) {
    auto rules = default_device_rules();
    rules.insert(rules.begin(), deny('a', -1, -1));
    expect_program_matches_policy(rules);
}

// ---- Real kernel: attach to a cgroup2 directory and try opening devices from inside it ----

struct OpenResult {
    int null_errno = -1;  // 0: opened
    int zero_errno = -1;
};

// Forks a child, moves it into `dir`, and has it open /dev/null (read-only) and /dev/zero
// (with `zero_flags`).
Result<OpenResult> open_devices_in(const std::string& dir, int zero_flags = O_RDONLY) {
    int go[2], report[2];
    if (::pipe2(go, O_CLOEXEC) < 0 || ::pipe2(report, O_CLOEXEC) < 0) return fail_errno("pipe");
    pid_t pid = ::fork();
    if (pid < 0) return fail_errno("fork");
    if (pid == 0) {
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(1);
        int results[2];
        const char* paths[2] = {"/dev/null", "/dev/zero"};
        const int flags[2] = {O_RDONLY, zero_flags};
        for (int i = 0; i < 2; ++i) {
            int fd = ::open(paths[i], flags[i]);
            results[i] = fd >= 0 ? 0 : errno;
            if (fd >= 0) ::close(fd);
        }
        (void)!::write(report[1], results, sizeof results);
        ::_exit(0);
    }
    ::close(go[0]);
    ::close(report[1]);
    auto joined = write_file(join_path(dir, "cgroup.procs"), std::to_string(pid));
    (void)!::write(go[1], "x", 1);
    ::close(go[1]);
    int results[2] = {-1, -1};
    ssize_t n = ::read(report[0], results, sizeof results);
    ::close(report[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!joined) return fail(std::move(joined).error());
    if (n != sizeof results) return fail(ErrorKind::Internal, "child did not report");
    return OpenResult{results[0], results[1]};
}

TEST(BpfDeviceFilter, KernelEnforcesTheAttachedProgramAndUpdatesReplaceIt) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto host = probe_cgroup_host();
    if (!host || host->unified.empty()) GTEST_SKIP() << "no cgroup2 hierarchy on this host";
    std::string dir = join_path(host->unified, "berth-bpf-test-" + std::to_string(::getpid()));
    if (::mkdir(dir.c_str(), 0755) < 0) GTEST_SKIP() << "cannot create " << dir;
    struct Cleanup {
        std::string dir;
        ~Cleanup() { ::rmdir(dir.c_str()); }
    } cleanup{dir};

    auto policy = DevicePolicy::from_rules({deny('a', -1, -1), allow('c', 1, 3)});  // /dev/null
    ASSERT_TRUE(policy);
    CgroupIo io;
    auto attached = io.install_device_filter(dir, build_device_filter(*policy));
    if (!attached) GTEST_SKIP() << "cannot attach a device program: " << attached.error().message();

    auto first = open_devices_in(dir);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->null_errno, 0);
    EXPECT_EQ(first->zero_errno, EPERM);

    // An update replaces the program: now only /dev/zero.
    auto flipped = DevicePolicy::from_rules({deny('a', -1, -1), allow('c', 1, 5, kDevRead)});
    ASSERT_TRUE(flipped);
    auto replaced = io.install_device_filter(dir, build_device_filter(*flipped));
    ASSERT_TRUE(replaced) << replaced.error().message();
    auto second = open_devices_in(dir);
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_EQ(second->null_errno, EPERM);
    EXPECT_EQ(second->zero_errno, 0);

    // A deny list: denying writes to /dev/zero also stops opening it read-write.
    auto deny_list = DevicePolicy::from_rules({allow('a', -1, -1), deny('c', 1, 5, kDevWrite)});
    ASSERT_TRUE(deny_list);
    ASSERT_TRUE(io.install_device_filter(dir, build_device_filter(*deny_list)));
    auto third = open_devices_in(dir, O_RDWR);
    ASSERT_TRUE(third) << third.error().message();
    EXPECT_EQ(third->null_errno, 0);
    EXPECT_EQ(third->zero_errno, EPERM);
    auto fourth = open_devices_in(dir, O_RDONLY);
    ASSERT_TRUE(fourth) << fourth.error().message();
    EXPECT_EQ(fourth->zero_errno, 0);
}

}  // namespace
}  // namespace berth::runtime::cgroups
