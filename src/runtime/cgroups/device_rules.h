// Device access rules (OCI linux.resources.devices) and the policy they add up to.
//
// DevicePolicy emulates the cgroup v1 devices controller the way runc's devices emulator does:
// a default (allow-all or deny-all) plus exceptions. Applying the OCI rules in order gives the
// effective policy, which then drives both backends: v1 writes to devices.allow/devices.deny
// (transition_from), v2 generates an eBPF program (bpf_device_filter.h) from exceptions().
// Because every exception has the opposite action of the default, the order of the emitted
// rules does not matter, and a later OCI rule overrides an earlier one that it covers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::runtime::cgroups {

enum DeviceAccess : uint8_t { kDevRead = 1, kDevWrite = 2, kDevMknod = 4, kDevAll = 7 };

// "rwm", "rw", "m"…: a non-empty subset of r, w, m.
Result<uint8_t> parse_device_access(std::string_view access);
std::string device_access_string(uint8_t access);  // always in r, w, m order

struct DeviceRule {
    char type = 'a';     // 'a' (every device), 'c' or 'b'
    int64_t major = -1;  // -1: any
    int64_t minor = -1;  // -1: any
    uint8_t access = kDevAll;
    bool allow = false;

    // The cgroup v1 form, as written to devices.allow/devices.deny: "c 1:3 rwm", "a *:* rwm".
    std::string cgroup_string() const;
    bool operator==(const DeviceRule&) const = default;
};

// One OCI rule object ({"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"});
// `where` names it in errors.
Result<DeviceRule> parse_device_rule(const Json& rule, const std::string& where);
Json device_rule_json(const DeviceRule& rule);

class DevicePolicy {
  public:
    // Deny every device (what an empty rule list means).
    DevicePolicy() = default;

    static Result<DevicePolicy> from_rules(const std::vector<DeviceRule>& rules);
    // Reads a v1 devices.list (an allow list; "a *:* rwm" means allow-all, whose deny exceptions
    // cannot be read back, so such a cgroup is taken as allow-all).
    static Result<DevicePolicy> from_devices_list(std::string_view list);

    // Applies one rule on top of the policy, as the v1 kernel would.
    Result<void> apply(const DeviceRule& rule);

    bool default_allow() const { return default_allow_; }
    // The exceptions to the default, each with allow = !default_allow(), ordered by
    // (major, minor, type).
    std::vector<DeviceRule> exceptions() const;
    // The rules to write (in order) to devices.allow (allow) / devices.deny (deny) to turn a
    // cgroup whose policy is `current` into this one with the least disruption.
    std::vector<DeviceRule> transition_from(const DevicePolicy& current) const;
    // Whether access of the given kind (kDev* bits) to a device is allowed: as the v1 kernel
    // decides, an allow exception must grant all of it, a deny exception denies any part of it.
    bool allows(char type, uint32_t major, uint32_t minor, uint8_t access) const;

    bool operator==(const DevicePolicy&) const = default;

  private:
    struct Key {
        int64_t major;
        int64_t minor;
        char type;
        auto operator<=>(const Key&) const = default;
    };
    Result<void> remove(const Key& key, uint8_t access);

    bool default_allow_ = false;
    std::map<Key, uint8_t> rules_;
};

// The rules runc appends to every container's cgroup device rules: mknod of any device, the
// standard nodes (/dev/null, random, full, tty, zero, urandom), /dev/pts/*, /dev/ptmx and
// /dev/net/tun. A default whose node is also listed in linux.devices is left out (the spec's
// entry takes priority), as in runc.
std::vector<DeviceRule> default_device_rules(
    const std::vector<std::string>& spec_device_paths = {});
// Appends default_device_rules() to resources["devices"], creating the array (resources may be
// null). Call it on the resources given to create/run, not on those of an update.
void append_default_device_rules(Json& resources,
                                 const std::vector<std::string>& spec_device_paths = {});

}  // namespace berth::runtime::cgroups
