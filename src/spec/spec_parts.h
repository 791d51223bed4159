// Internal to the container spec translation (container_spec.cpp and its helpers): JSON access
// that never throws, and the pieces of the spec built in their own files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// Field access for validated documents: a missing or mistyped field reads as its zero value.
const Json& member(const Json& obj, std::string_view key);
std::string string_of(const Json& obj, std::string_view key);
int64_t int_of(const Json& obj, std::string_view key);
bool bool_of(const Json& obj, std::string_view key);
std::vector<std::string> strings_of(const Json& obj, std::string_view key);
// docker's notion of a field left out: null, "", 0, false, [] or {}.
bool is_zero(const Json& value);

// Facts about the host the spec depends on.
struct HostFacts {
    bool cgroup_v2 = false;
    bool swap_limit = false;  // memory+swap can be limited
    bool rro = false;         // recursive read-only bind mounts (Linux 5.12)
    static HostFacts detect(const std::string& cgroup_root);
};

// A mount the user asked for (Binds, Mounts, Tmpfs) or the engine adds (network files).
struct UserMount {
    enum class Kind { Bind, Tmpfs };
    Kind kind = Kind::Bind;
    std::string destination;
    std::string source;
    bool read_only = false;
    bool non_recursive = false;
    bool ro_non_recursive = false;
    bool ro_force_recursive = false;
    std::string propagation = "rprivate";
    bool create_source = false;  // a missing source is created as a directory
    std::string tmpfs_data;      // "size=64m,mode=755"
};

// One entry of HostConfig.Binds ("src:dst[:opts]").
Result<UserMount> parse_bind(const std::string& raw);
// Binds, Mounts and Tmpfs, validated (Mounts bind sources must exist unless CreateMountpoint).
Result<std::vector<UserMount>> parse_user_mounts(const Json& host_config);
// docker's merge of tmpfs options: later options win over earlier ones of the same kind.
Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options);

// The spec's mounts: docker's defaults, Init's binary, the user's mounts and the network files,
// with ReadonlyRootfs and Privileged applied. Sets linux.rootfsPropagation in `spec` when a bind
// asks for shared or slave propagation.
Result<Json> build_mounts(const Json& host_config, const std::vector<UserMount>& user_mounts,
                          const std::string& container_dir, const std::string& init_binary,
                          bool init, const HostFacts& facts, Json& spec);

// linux.resources (memory, cpu, pids, blockIO; device rules are added by the caller).
Json build_resources(const Json& host_config, const HostFacts& facts);
// process.rlimits from HostConfig.Ulimits.
Json build_rlimits(const Json& host_config);
// linux.devices and the device cgroup rules for HostConfig.Devices / DeviceCgroupRules.
struct DeviceSetup {
    Json devices = Json::array();
    Json rules = Json::array();
};
Result<DeviceSetup> build_devices(const Json& host_config);

// HostConfig.SecurityOpt as docker reads it (both "key=value" and the old "key:value").
struct SecurityOptions {
    bool no_new_privileges = false;
    bool writable_cgroups = false;
    bool seccomp_unconfined = false;
    std::string seccomp_profile;  // empty or "builtin": the default; else a profile's JSON text
    bool systempaths_unconfined = false;
};
Result<SecurityOptions> parse_security_options(const Json& host_config);

// Checks of the resource fields (memory, CPU, blkio, pids, ulimits, devices, sysctls). An
// update may set MemorySwap alone.
Result<void> validate_resources(const Json& host_config, bool update = false);
// What this host's cgroups cannot do is dropped from `host_config`, with dockerd's warning for
// each (moby's verifyPlatformContainerResources): a blkio weight without a weight file, a swap
// limit without memory.memsw.
std::vector<std::string> discard_unsupported_resources(Json& host_config,
                                                       const std::string& cgroup_root);
Result<void> validate_ulimits(const Json& host_config);
Result<void> validate_devices(const Json& host_config);
Result<void> validate_sysctls(const Json& host_config);

}  // namespace berth::spec
