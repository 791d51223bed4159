// OciRuntime: the OCI runtime that runs one container, as berthd and berth-monitor drive it.
// Two implementations: the built-in runtime library (runtime::Runtime, in-process: nothing is
// executed) and an external runc-compatible binary (runc, crun: external_runtime.h), executed
// once per call as `PATH [runtimeArgs…] --root ROOT SUBCOMMAND …`.
//
// Contract
//   Choice: a container's runtime is named at create (HostConfig.Runtime) and resolved to an
//   OciRuntimeConfig at start; monitor.json carries that config, so every later call for the
//   run (kill, pause, stats, top, exec, health checks, removal, and after a daemon restart) goes
//   to the same runtime with the same state root.
//   run/exec start the process detached and return its host pid. Without a terminal its stdio
//   is the caller's fds 0-2 at the time of the call (the caller points them at its pipes before
//   and back at /dev/null after). With one, the pty's master comes back in StartedProcess.
//   The process is the caller's child, or (external runtime) is reparented to the caller once
//   the runtime's own processes exit: the caller must be a child subreaper
//   (PR_SET_CHILD_SUBREAPER) to wait for it.
//   work_dir: a directory the caller owns, for the pid file, the console socket, the process
//   file and the runtime's log of the call.
//   Errors are values with the runtime's own message (from its log or stderr) in them.
//   Threads: one object per thread; objects for the same container may be used concurrently
//   (the runtimes lock their state themselves).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/logger.h"
#include "base/unique_fd.h"

namespace berth::oci_runtime {

// Which runtime, as monitor.json and exec.json carry it (runtime_root/_path/_args).
struct OciRuntimeConfig {
    std::string root;               // the runtime's state directory (--root)
    std::string path;               // a runc-compatible binary; empty: the built-in library
    std::vector<std::string> args;  // runtimeArgs, put before --root and the subcommand
    bool builtin() const { return path.empty(); }
};

struct RunRequest {
    std::string work_dir;
    bool terminal = false;
};

struct ExecRequest {
    std::string work_dir;
    std::vector<std::string> args;
    std::vector<std::string> env;  // KEY=value, over the container's
    std::string cwd;
    std::string user;  // "uid[:gid]"; empty: the container process's user and groups
    // With `user`: the process's supplementary groups, in place of the container process's (an
    // exec'd process has its user's groups, as with docker); ignored without.
    std::vector<std::string> additional_gids;
    std::vector<std::string> cap_add;  // CAP_… names, added to the container's sets
    bool terminal = false;
    bool no_new_privileges = false;
};

struct StartedProcess {
    pid_t pid = 0;
    UniqueFd terminal;  // the pty master, when a terminal was asked for
};

class OciRuntime {
  public:
    virtual ~OciRuntime() = default;

    // `run --detach` of the bundle.
    virtual Result<StartedProcess> run(const RunRequest& request) = 0;
    // `exec --detach` of a new process in the running container.
    virtual Result<StartedProcess> exec(const ExecRequest& request) = 0;
    // Signals the container's init.
    virtual Result<void> kill(int signal) = 0;
    virtual Result<void> pause() = 0;
    virtual Result<void> resume() = 0;
    // `update --resources`: applies OCI linux.resources (only what they hold) to the container.
    virtual Result<void> update(const Json& resources) = 0;
    // The host pids of the container's processes.
    virtual Result<std::vector<pid_t>> pids() = 0;
    // runc's `events --stats` object: {"type":"stats","id":…,"data":{cpu, memory, pids, blkio…}}.
    virtual Result<Json> stats() = 0;
    // How often the OOM killer struck in the container's cgroup; call before remove().
    virtual Result<uint64_t> oom_kills() = 0;
    // `delete --force`: kills what is left, removes the state and the cgroup.
    virtual Result<void> remove() = 0;
};

// The runtime for container `id` whose bundle (holding config.json) is `bundle`. `log` must
// outlive the object (the built-in library's warnings go there).
std::unique_ptr<OciRuntime> open_oci_runtime(const OciRuntimeConfig& config, std::string id,
                                             std::string bundle, const Logger& log);

}  // namespace berth::oci_runtime
