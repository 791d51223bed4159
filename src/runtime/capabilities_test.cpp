#include "runtime/capabilities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <string>
#include <vector>

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The kernel's numbering (include/uapi/linux/capability.h).
const std::vector<std::string> kExpected = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr int kAuditRead = 37;
constexpr int kCheckpointRestore = 40;

uint64_t bit(int cap) {
    return uint64_t{1} << cap;
}

TEST(Capabilities, FortyOneNamesInKernelOrder) {
    ASSERT_EQ(kExpected.size(), 41u);
    EXPECT_EQ(all_capability_names(), kExpected);
}

TEST(Capabilities, NameToNumberAndBack) {
    for (int cap = 0; cap < static_cast<int>(kExpected.size()); ++cap) {
        SCOPED_TRACE(kExpected[cap]);
        auto number = capability_from_name(kExpected[cap]);
        ASSERT_TRUE(number.has_value());
        EXPECT_EQ(*number, cap);
        EXPECT_EQ(capability_name(cap), kExpected[cap]);
        EXPECT_EQ(capability_from_name(capability_name(cap)), cap);
    }
}

TEST(Capabilities, WellKnownNumbers) {
    EXPECT_EQ(capability_from_name("CAP_CHOWN"), 0);
    EXPECT_EQ(capability_from_name("CAP_NET_BIND_SERVICE"), 10);
    EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(capability_from_name("CAP_AUDIT_READ"), kAuditRead);
    EXPECT_EQ(capability_from_name("CAP_CHECKPOINT_RESTORE"), kCheckpointRestore);
}

TEST(Capabilities, UnknownNames) {
    for (const char* name : {"", "CAP_", "CAP_FOO", "cap_chown", "CHOWN", "CAP_CHOWN ",
                             " CAP_CHOWN", "CAP_SYS_ADMINX", "ALL"}) {
        SCOPED_TRACE(name);
        EXPECT_EQ(capability_from_name(name), std::nullopt);
    }
}

TEST(Capabilities, NameOfAnOutOfRangeNumberIsEmpty) {
    EXPECT_EQ(capability_name(-1), "");
    EXPECT_EQ(capability_name(41), "");
    EXPECT_EQ(capability_name(63), "");
    EXPECT_EQ(capability_name(1 << 20), "");
}

TEST(Capabilities, LastCapabilityOfThisKernel) {
    int last = last_capability();
    EXPECT_GE(last, kAuditRead);
    EXPECT_LE(last, kCheckpointRestore);
    // What the kernel says, capped at what this build knows.
    std::ifstream proc("/proc/sys/kernel/cap_last_cap");
    int kernel_last = -1;
    ASSERT_TRUE(proc >> kernel_last);
    EXPECT_EQ(last, std::min(kernel_last, kCheckpointRestore));
}

TEST(CapabilityMasks, EachSetGetsItsOwnBits) {
    oci::Capabilities caps;
    caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    caps.effective = {"CAP_KILL"};
    caps.inheritable = {"CAP_SYS_ADMIN"};
    caps.permitted = {"CAP_CHOWN", "CAP_SETUID"};
    caps.ambient = {"CAP_NET_RAW"};
    std::vector<std::string> unknown;
    CapabilityMasks m = capability_masks(caps, unknown);
    EXPECT_EQ(m.bounding, bit(0) | bit(5) | bit(10));
    EXPECT_EQ(m.effective, bit(5));
    EXPECT_EQ(m.inheritable, bit(21));
    EXPECT_EQ(m.permitted, bit(0) | bit(7));
    EXPECT_EQ(m.ambient, bit(13));
    EXPECT_THAT(unknown, IsEmpty());
}

TEST(CapabilityMasks, EmptySetsAreZero) {
    std::vector<std::string> unknown;
    CapabilityMasks m = capability_masks(oci::Capabilities{}, unknown);
    EXPECT_EQ(m.bounding, 0u);
    EXPECT_EQ(m.effective, 0u);
    EXPECT_EQ(m.inheritable, 0u);
    EXPECT_EQ(m.permitted, 0u);
    EXPECT_EQ(m.ambient, 0u);
    EXPECT_THAT(unknown, IsEmpty());
}

TEST(CapabilityMasks, DuplicatesSetTheBitOnce) {
    oci::Capabilities caps;
    caps.effective = {"CAP_KILL", "CAP_KILL"};
    std::vector<std::string> unknown;
    EXPECT_EQ(capability_masks(caps, unknown).effective, bit(5));
}

TEST(CapabilityMasks, EveryCapabilityTheKernelKnows) {
    oci::Capabilities caps;
    int last = last_capability();
    for (int cap = 0; cap <= last; ++cap)
        caps.bounding.push_back(std::string(capability_name(cap)));
    std::vector<std::string> unknown;
    CapabilityMasks m = capability_masks(caps, unknown);
    EXPECT_EQ(m.bounding, last == 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1);
    EXPECT_THAT(unknown, IsEmpty());
}

TEST(CapabilityMasks, UnknownNamesAreCollectedAndSkipped) {
    oci::Capabilities caps;
    caps.bounding = {"CAP_CHOWN", "CAP_FOO", "CAP_KILL"};
    caps.effective = {"cap_kill"};
    caps.ambient = {"CAP_BAR", "CAP_NET_RAW"};
    std::vector<std::string> unknown;
    CapabilityMasks m = capability_masks(caps, unknown);
    EXPECT_EQ(m.bounding, bit(0) | bit(5));
    EXPECT_EQ(m.effective, 0u);
    EXPECT_EQ(m.ambient, bit(13));
    EXPECT_THAT(unknown, ElementsAre("CAP_FOO", "cap_kill", "CAP_BAR"));
}

TEST(CapabilityMasks, AppendsToWhatTheCallerAlreadyCollected) {
    oci::Capabilities caps;
    caps.permitted = {"CAP_NOPE"};
    std::vector<std::string> unknown = {"earlier"};
    capability_masks(caps, unknown);
    EXPECT_THAT(unknown, ElementsAre("earlier", "CAP_NOPE"));
}

}  // namespace
}  // namespace berth::runtime
