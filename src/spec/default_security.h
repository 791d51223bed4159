// docker's default confinement of a container: its capability set, the /proc and /sys paths it
// masks or makes read-only, the device cgroup rules, and the device nodes of the host for
// privileged containers.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// docker's default capability set (14 capabilities).
std::vector<std::string> default_capabilities();

// Every capability this process can hand on (its bounding set, in number order): what
// --privileged and --cap-add ALL give, as docker gives the capabilities it has itself.
std::vector<std::string> host_capabilities();

// Upper-cases and adds the CAP_ prefix where missing ("net_admin" → "CAP_NET_ADMIN"); "ALL"
// stays. An unknown name is InvalidArgument naming `field` and the capability.
Result<std::vector<std::string>> normalize_capabilities(const std::vector<std::string>& names,
                                                        std::string_view field);

// The capability set of a container: docker's rules for CapAdd/CapDrop (either may hold "ALL")
// and Privileged (every capability).
Result<std::vector<std::string>> container_capabilities(const std::vector<std::string>& add,
                                                        const std::vector<std::string>& drop,
                                                        bool privileged);

// linux.maskedPaths docker uses; `sys_root` is where the host's /sys is (tests use a fake tree).
std::vector<std::string> default_masked_paths(const std::string& sys_root = "/sys");
// linux.readonlyPaths docker uses.
std::vector<std::string> default_readonly_paths();

// linux.resources.devices of an unprivileged container: deny all, then the standard devices.
Json default_device_rules();

// A device node as the spec's linux.devices holds it.
struct DeviceNode {
    std::string path;  // in the container
    char type = 'c';   // c, b or p
    int64_t major = 0;
    int64_t minor = 0;
    mode_t file_mode = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};
Json device_to_json(const DeviceNode& device);

// The devices for HostConfig.Devices: the node at `host_path` (a symlink is followed), or every
// node under it when it is a directory, placed at `container_path`. NotFound/InvalidArgument when
// there is no device there (docker's "error gathering device information").
Result<std::vector<DeviceNode>> devices_from_path(const std::string& host_path,
                                                  const std::string& container_path);

// Every device node under `dev` (privileged containers), skipping what docker skips: pts, shm,
// fd, mqueue, the console and fifos.
Result<std::vector<DeviceNode>> host_devices(const std::string& dev = "/dev");

}  // namespace berth::spec
