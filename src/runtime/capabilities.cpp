#include "runtime/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>

namespace berth::runtime {

namespace {

constexpr std::array<std::string_view, 41> kNames = {
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

uint64_t mask_of(const std::vector<std::string>& names, std::vector<std::string>& unknown) {
    uint64_t mask = 0;
    int last = last_capability();
    for (const auto& name : names) {
        auto cap = capability_from_name(name);
        if (!cap || *cap > last) {
            unknown.push_back(name);
            continue;
        }
        mask |= uint64_t{1} << *cap;
    }
    return mask;
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name) return static_cast<int>(i);
    return std::nullopt;
}

std::string_view capability_name(int cap) {
    if (cap < 0 || static_cast<size_t>(cap) >= kNames.size()) return "";
    return kNames[static_cast<size_t>(cap)];
}

int last_capability() {
    // The bounding set answers EINVAL past the kernel's last capability: no /proc needed (the
    // container's init asks three times on its way to exec).
    int last = static_cast<int>(kNames.size()) - 1;
    while (last > 0 && ::prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0 && errno == EINVAL)
        --last;
    return last;
}

std::vector<std::string> all_capability_names() {
    return {kNames.begin(), kNames.end()};
}

CapabilityMasks capability_masks(const oci::Capabilities& caps, std::vector<std::string>& unknown) {
    CapabilityMasks m;
    m.bounding = mask_of(caps.bounding, unknown);
    m.effective = mask_of(caps.effective, unknown);
    m.inheritable = mask_of(caps.inheritable, unknown);
    m.permitted = mask_of(caps.permitted, unknown);
    m.ambient = mask_of(caps.ambient, unknown);
    return m;
}

Result<void> drop_bounding_set(const CapabilityMasks& masks) {
    int last = last_capability();
    for (int cap = 0; cap <= last; ++cap) {
        if (masks.bounding & (uint64_t{1} << cap)) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return fail_errno("drop " + std::string(capability_name(cap)) + " from bounding set");
    }
    return {};
}

Result<void> apply_capability_sets(const CapabilityMasks& masks) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        data[i].effective = static_cast<uint32_t>(masks.effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(masks.permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(masks.inheritable >> (32 * i));
    }
    if (::syscall(SYS_capset, &header, data) < 0) return fail_errno("capset");
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return fail_errno("clear ambient capabilities");
    int last = last_capability();
    for (int cap = 0; cap <= last; ++cap) {
        if (!(masks.ambient & (uint64_t{1} << cap))) continue;
        // Like runc: an ambient capability that is not also permitted and inheritable is skipped.
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM)
            return fail_errno("raise ambient " + std::string(capability_name(cap)));
    }
    return {};
}

}  // namespace berth::runtime
