// The translation of docker's container configuration (the Config and HostConfig of
// POST /containers/create) into the OCI runtime spec our runtime runs, with docker's defaults
// and checks (moby's daemon/oci_linux.go, oci/defaults.go, daemon_unix.go).
//
// NetworkMode: "none", "host", and — until bridge networks arrive — "", "default" and "bridge",
// which the docker CLI sends for a plain `docker run`: they give the container a network
// namespace of its own with only the loopback interface, as "none" does.
#pragma once

#include <string>

#include "base/error.h"
#include "base/json.h"
#include "spec/seccomp_profile.h"

namespace berth::spec {

// 400-class checks before anything is created, docker's checks and messages where docker has
// them: invalid values (negative or too small memory, "Conflicting options: Nano CPUs and CPU
// Period cannot both be set", an unknown restart policy, bad Binds, non-absolute destinations,
// unknown capabilities or security options, …) and every field berthd does not support yet
// ("HostConfig.PortBindings is not supported yet"). Fields at their zero value are fine. All
// errors are InvalidArgument. `config` may be the request's or the merged one. A bind source of
// HostConfig.Mounts must exist (Binds sources are created at start, as docker does).
Result<void> validate_container_config(const Json& config, const Json& host_config);

// HostConfig as docker completes it at create, for inspect: MemorySwap defaults to twice Memory
// (when swap can be limited), ShmSize to 64 MiB, OomKillDisable to false, IpcMode to
// "private", CgroupnsMode to "private" on cgroup v2 and "host" otherwise.
Json complete_host_config(const Json& host_config,
                          const std::string& cgroup_root = "/sys/fs/cgroup");

struct SpecContext {
    std::string container_id;   // 64 hex
    std::string rootfs;         // host path of the mounted root file system
    std::string container_dir;  // host dir holding hostname, hosts, resolv.conf (network_files)
    std::string init_binary;    // host path of berth-init, bind-mounted at /sbin/docker-init for
                                // HostConfig.Init
    std::string cgroup_parent = "/berth";  // cgroupsPath = <HostConfig.CgroupParent or this>/<id>
    // Host facts, overridable for tests.
    std::string cgroup_root = "/sys/fs/cgroup";  // v2 when it holds cgroup.controllers
    std::string proc_root = "/proc";             // default sysctls are set where they exist
    std::string sys_root = "/sys";               // thermal_throttle paths to mask
    // Where the default seccomp profiles are kept between starts; null: built each time.
    DefaultSeccompProfiles* default_seccomp = nullptr;
};

// `host_config` with the daemon's default ulimits (daemon.json default-ulimits, as HostConfig
// Ulimits entries) added for every limit it does not set itself, as dockerd's mergeUlimits does.
Json merge_default_ulimits(const Json& host_config, const Json& default_ulimits);

// The OCI runtime spec (config.json content) for a merged Config and a HostConfig. Reads the
// container's /etc/passwd and /etc/group (User, GroupAdd) confined to the rootfs, stats device
// nodes, and creates missing bind sources of HostConfig.Binds (and of Mounts with
// BindOptions.CreateMountpoint) as directories, as docker does at start. Call
// write_network_files first: its files are bind-mounted from container_dir.
Result<Json> build_runtime_spec(const Json& config, const Json& host_config,
                                const SpecContext& context);

}  // namespace berth::spec
