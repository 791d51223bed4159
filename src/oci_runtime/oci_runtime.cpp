#include "oci_runtime/oci_runtime.h"

#include <sys/socket.h>

#include <cstdlib>

#include "base/fs.h"
#include "oci_runtime/external_runtime.h"
#include "runtime/runtime.h"
#include "runtime/sync_socket.h"

namespace berth::oci_runtime {
namespace {

Result<pid_t> read_pid_file(const std::string& path) {
    auto text = TRY(read_file(path));
    pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
    if (pid <= 0) return fail(ErrorKind::Internal, "the runtime wrote no pid to " + path);
    return pid;
}

// A socketpair: the library sends the terminal's master over `peer`, we read it from `ours`.
struct ConsolePair {
    UniqueFd ours, peer;
};

Result<ConsolePair> console_pair() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return fail_errno("socketpair");
    return ConsolePair{UniqueFd(pair[0]), UniqueFd(pair[1])};
}

// The built-in runtime library, in this process.
class BuiltinRuntime final : public OciRuntime {
  public:
    BuiltinRuntime(const OciRuntimeConfig& config, std::string id, std::string bundle,
                   const Logger& log)
        : runtime_(config.root, log), id_(std::move(id)), bundle_(std::move(bundle)) {}

    Result<StartedProcess> run(const RunRequest& request) override {
        runtime::CreateOptions options;
        options.id = id_;
        options.bundle = bundle_;
        options.detach = true;
        // The pid comes from the pid file: `state` reports none once the process has exited,
        // and a container running `true` may have exited already.
        options.pid_file = join_path(request.work_dir, "container.pid");
        ConsolePair console;
        if (request.terminal) {
            console = TRY(console_pair());
            options.console_fd = console.peer.get();
        }
        TRY(runtime_.run(options));
        return started(options.pid_file, console);
    }

    Result<StartedProcess> exec(const ExecRequest& request) override {
        runtime::ExecOptions options;
        options.id = id_;
        options.args = request.args;
        options.env = request.env;
        options.cwd = request.cwd;
        options.user = request.user;
        if (!request.user.empty()) {
            options.additional_gids = request.additional_gids;
            options.replace_additional_gids = true;
        }
        options.cap_add = request.cap_add;
        options.tty = request.terminal;
        options.no_new_privileges = request.no_new_privileges;
        options.detach = true;
        options.pid_file = join_path(request.work_dir, "pid");
        ConsolePair console;
        if (request.terminal) {
            console = TRY(console_pair());
            options.console_fd = console.peer.get();
        }
        TRY(runtime_.exec(options));
        return started(options.pid_file, console);
    }

    Result<void> kill(int signal) override { return runtime_.kill(id_, signal, false); }
    Result<void> pause() override { return runtime_.pause(id_); }
    Result<void> resume() override { return runtime_.resume(id_); }
    Result<void> update(const Json& resources) override { return runtime_.update(id_, resources); }
    Result<std::vector<pid_t>> pids() override { return runtime_.pids(id_); }
    Result<Json> stats() override { return runtime_.stats(id_); }
    Result<uint64_t> oom_kills() override { return runtime_.oom_kills(id_); }
    Result<void> remove() override { return runtime_.remove(id_, true); }

  private:
    static Result<StartedProcess> started(const std::string& pid_file, ConsolePair& console) {
        StartedProcess process;
        process.pid = TRY(read_pid_file(pid_file));
        if (console.ours.valid()) {
            console.peer.reset();  // a runtime that sent nothing shows as end of file
            process.terminal = TRY_CTX(runtime::receive_fd(console.ours.get()),
                                       "receive the terminal from the runtime");
        }
        return process;
    }

    runtime::Runtime runtime_;
    std::string id_;
    std::string bundle_;
};

}  // namespace

std::unique_ptr<OciRuntime> open_oci_runtime(const OciRuntimeConfig& config, std::string id,
                                             std::string bundle, const Logger& log) {
    if (config.builtin())
        return std::make_unique<BuiltinRuntime>(config, std::move(id), std::move(bundle), log);
    return std::make_unique<ExternalRuntime>(config, std::move(id), std::move(bundle), log);
}

}  // namespace berth::oci_runtime
