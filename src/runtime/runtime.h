// The runtime's commands, as runc has them: create, start, run, state, kill, delete, list, exec.
// Each call is one command of one process; containers live on in the state directory between
// calls, guarded by a lock per container.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/logger.h"
#include "oci/runtime_spec.h"
#include "runtime/cgroups/cgroup_manager.h"
#include "runtime/state.h"

namespace berth {
class ChildProcess;
}

namespace berth::runtime {

class BlockedSignals;

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    // A connected socket to send the terminal's master over, in place of console_socket (a
    // library caller's socketpair end; the caller keeps ownership).
    int console_fd = -1;
    int preserve_fds = 0;
    bool no_pivot = false;
    bool no_new_keyring = false;
    bool detach = false;  // run -d
};

struct ExecOptions {
    std::string id;
    std::string process_file;  // --process; otherwise built from the fields below
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd;
    std::string user;  // "uid[:gid]"
    // Added to the container process's groups, as runc's --additional-gids; a library caller
    // (berth-monitor, for docker's exec -u) may have them replace those instead.
    std::vector<std::string> additional_gids;
    bool replace_additional_gids = false;
    std::vector<std::string> cap_add;
    bool tty = false;
    bool no_new_privileges = false;
    bool detach = false;
    std::string pid_file;
    std::string console_socket;
    int console_fd = -1;  // as in CreateOptions
    int preserve_fds = 0;
};

// Not thread-safe: one per thread (a runtime command, a monitor).
class Runtime {
  public:
    Runtime(std::string root, const Logger& log) : store_(std::move(root)), log_(log) {}

    Result<void> create(const CreateOptions& options);
    Result<void> start(const std::string& id);
    // Foreground: the exit code of the container's process. Detached: 0.
    Result<int> run(const CreateOptions& options);
    Result<Json> state(const std::string& id);
    Result<void> kill(const std::string& id, int signal, bool all);
    Result<void> remove(const std::string& id, bool force);
    Result<std::vector<Json>> list();
    Result<int> exec(const ExecOptions& options);
    // The host pids of the container's processes: everything in its pid namespace, or only its
    // init when it shares the host's (until cgroups give the exact set).
    Result<std::vector<pid_t>> pids(const std::string& id);
    Result<void> pause(const std::string& id);
    Result<void> resume(const std::string& id);
    // Applies OCI linux.resources to a live container (`update`).
    Result<void> update(const std::string& id, const Json& resources);
    // runc's `events --stats` object: {"type":"stats","id":…,"data":{cpu, memory, pids, blkio…}}.
    Result<Json> stats(const std::string& id);
    // How often the OOM killer struck in the container's cgroup.
    Result<uint64_t> oom_kills(const std::string& id);

  private:
    enum class Mode { Create, RunDetached, RunForeground };
    Result<int> launch(const CreateOptions& options, Mode mode);  // launch.cpp
    Result<int> supervise_foreground(LockedContainer container, ChildProcess& child,
                                     const BlockedSignals& blocked, UniqueFd master,
                                     const oci::Spec& spec, const ContainerRecord& record,
                                     cgroups::CgroupManager* cgroup);
    Json state_json(const ContainerRecord& record, Status status) const;
    // The live status, paused included (a frozen cgroup).
    Status status_of(const LockedContainer& container, const ContainerRecord& record) const;
    // The container's cgroup, or null when it was made without one.
    Result<std::unique_ptr<cgroups::CgroupManager>> open_cgroup(
        const ContainerRecord& record) const;
    // The host's cgroup hierarchies, probed once: a monitor asks at start, for the OOM count
    // and at the removal, and the mounts do not move under a running container.
    Result<const cgroups::CgroupHost*> cgroup_host() const;
    void run_poststart(const oci::Spec& spec, const ContainerRecord& record) const;
    void run_poststop(const oci::Spec& spec, const ContainerRecord& record) const;

    StateStore store_;
    const Logger& log_;
    mutable std::optional<cgroups::CgroupHost> cgroup_host_;
};

// The runtime's view of itself for `features` (runtime-spec features.md).
Json features_json();

}  // namespace berth::runtime
