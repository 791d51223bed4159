// The OCI runtime-spec configuration (config.json) as typed values: parsing, validation and
// serialisation. Only Linux is modelled. Sections the runtime does not apply yet are kept as raw
// JSON so that callers can name them in a warning instead of dropping them silently.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::oci {

struct User {
    uid_t uid = 0;
    gid_t gid = 0;
    std::optional<mode_t> umask;
    std::vector<gid_t> additional_gids;
};

struct Rlimit {
    std::string type;  // "RLIMIT_NOFILE"
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user;
    std::vector<std::string> args;
    std::string command_line;  // Windows only; rejected
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::string apparmor_profile;
    std::optional<int> oom_score_adj;
    std::string selinux_label;
    Json io_priority;  // not applied yet
    Json scheduler;    // not applied yet
};

struct Root {
    std::string path;
    bool readonly = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
    Json uid_mappings;  // idmapped mounts: not applied yet
    Json gid_mappings;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
    bool empty() const {
        return prestart.empty() && create_runtime.empty() && create_container.empty() &&
               start_container.empty() && poststart.empty() && poststop.empty();
    }
};

struct Namespace {
    std::string type;  // pid network mount ipc uts user cgroup time
    std::string path;  // empty: create a new one
};

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Device {
    std::string type;  // c, b, u, p
    std::string path;
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<mode_t> file_mode;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
};

struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
    std::vector<Device> devices;
    std::string cgroups_path;
    Json resources;  // cgroups: applied by the cgroup manager (part 2)
    std::string rootfs_propagation;
    std::vector<std::string> masked_paths, readonly_paths;
    std::map<std::string, std::string> sysctl;
    Json seccomp;  // part 2
    std::string mount_label;
    Json intel_rdt, personality, memory_policy, net_devices;

    const Namespace* find_namespace(std::string_view type) const;
};

struct Spec {
    std::string oci_version;
    std::string hostname;
    std::string domainname;
    std::optional<Process> process;
    Root root;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux;
};

// Parses and validates a config.json document.
Result<Spec> parse_spec(const Json& doc);
Result<Spec> load_spec(const std::string& bundle_dir);
Result<Process> parse_process(const Json& doc);  // for `exec --process`
// Checks what the spec requires beyond the JSON types (absolute paths, known namespace types…).
Result<void> validate(const Spec& spec);
Result<void> validate_process(const Process& process);

// The config.json written by `spec`: a busybox-friendly default like runc's.
Json default_spec_json();

// The namespace types of the spec and their clone(2) flags.
int namespace_clone_flag(std::string_view type);  // 0 for an unknown type

}  // namespace berth::oci
