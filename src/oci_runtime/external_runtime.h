// An external runc-compatible runtime (runc, crun) behind OciRuntime (oci_runtime.h): one
// execution of the binary per call, with runc's command line, which crun shares:
//   PATH [runtimeArgs…] --root ROOT [--log FILE --log-format json] SUBCOMMAND … ID …
//
//   run     run --detach --bundle B --pid-file P [--console-socket S] ID
//   exec    exec --detach --pid-file P --process F [--console-socket S] ID
//           (a process file, as containerd passes it: crun's exec has no --additional-gids,
//           and the container's own process — capabilities, rlimits, AppArmor — is its base)
//   kill    kill ID SIGNAL;  pause ID;  resume ID;  ps --format json ID;  delete --force ID
//
// run and exec pass the caller's fds 0-2 to the process, so the runtime's messages cannot be
// read from its stderr: they go to a JSON log in the work directory, and a failure quotes the
// last error logged. A terminal's master arrives over a unix socket (--console-socket) that
// listens in the work directory, reached through /proc/<pid>/fd/<dir>/… when the path is too
// long for sun_path.
//
// stats and the OOM count come from the container's cgroup (linux.cgroupsPath of the bundle's
// config.json) through the cgroups library, as containerd's shim reads them: crun has no
// `events`, and the built-in runtime's stats have the same shape that way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci_runtime/oci_runtime.h"

namespace berth::oci_runtime {

class ExternalRuntime final : public OciRuntime {
  public:
    ExternalRuntime(OciRuntimeConfig config, std::string id, std::string bundle, const Logger& log)
        : config_(std::move(config)), id_(std::move(id)), bundle_(std::move(bundle)), log_(log) {}

    Result<StartedProcess> run(const RunRequest& request) override;
    Result<StartedProcess> exec(const ExecRequest& request) override;
    Result<void> kill(int signal) override;
    Result<void> pause() override;
    Result<void> resume() override;
    Result<void> update(const Json& resources) override;
    Result<std::vector<pid_t>> pids() override;
    Result<Json> stats() override;
    Result<uint64_t> oom_kills() override;
    Result<void> remove() override;

  private:
    // Runs a subcommand to its end, with its stdout; a failure quotes its stderr.
    Result<std::string> call(const std::vector<std::string>& subcommand) const;
    // run/exec: the process starts detached with our fds 0-2.
    Result<StartedProcess> start(std::vector<std::string> subcommand, const std::string& work_dir,
                                 const std::string& pid_file, bool terminal) const;

    OciRuntimeConfig config_;
    std::string id_;
    std::string bundle_;
    const Logger& log_;
};

// The command line: PATH [runtimeArgs…] --root ROOT SUBCOMMAND….
std::vector<std::string> runtime_command(const OciRuntimeConfig& config,
                                         const std::vector<std::string>& subcommand);

// The process file of an exec: the container's process (config.json's "process") with the
// request's arguments, environment, directory, user (and then its groups alone), terminal and
// added capabilities.
Result<Json> exec_process(const Json& container_process, const ExecRequest& request);

// The message of the last error in a runtime's JSON log (runc: {"level":"error","msg":…};
// crun: {"msg":…,"level":"error"}), or its last non-empty line when that is not JSON.
std::string last_logged_error(std::string_view log_text);

// `ps --format json`: [pid, …].
Result<std::vector<pid_t>> parse_ps_json(std::string_view text);

}  // namespace berth::oci_runtime
