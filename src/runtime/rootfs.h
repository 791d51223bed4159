// The container's root filesystem, set up by its init inside a new mount namespace: every
// `mounts` entry (targets resolved inside the rootfs, never through a symlink to the host), the
// default /dev, `linux.devices`, pivot_root, then masked and read-only paths.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

struct RootfsOptions {
    std::string rootfs;  // absolute host path
    std::string bundle;  // relative bind sources are taken from here
    bool in_user_namespace = false;
    bool no_pivot = false;
    // The container has a cgroup namespace of its own (then cgroup filesystems are mounted, not
    // bound from the host, so that they show the namespace's root).
    bool own_cgroup_namespace = false;
    std::vector<std::string>* warnings = nullptr;  // entries not applied, for the caller to log
    // Called once everything is mounted, before the root is switched (the hooks' moment).
    std::function<Result<void>()> before_switch;
    // Called before a cgroup filesystem is mounted.
    std::function<Result<void>()> before_cgroup_mount;
};

// Mounts, devices and the switch of root. Afterwards "/" is the container's rootfs.
Result<void> prepare_rootfs(const oci::Spec& spec, const RootfsOptions& options);

// What must come last: read-only and masked paths, the read-only root. Runs after pivot_root and
// after sysctls were written.
Result<void> finalize_rootfs(const oci::Spec& spec, bool in_user_namespace);

// Without a mount namespace: only chroot into the rootfs.
Result<void> chroot_rootfs(const std::string& rootfs);

}  // namespace berth::runtime
