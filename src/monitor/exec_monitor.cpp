#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/child_process.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/logger.h"
#include "monitor/container_monitor.h"
#include "monitor/monitor_loop.h"
#include "oci_runtime/oci_runtime.h"

namespace berth::monitor {
namespace {

struct ExecStdio {
    UniqueFd out, err, in;
};

Result<UniqueFd> null_device() {
    return open_fd("/dev/null", O_RDWR | O_CLOEXEC);
}

// Like the container monitor: the process inherits fds 0-2 of ours while the runtime starts it.
Result<ExecStdio> wire_exec_stdio(const ExecMonitorConfig& config) {
    ExecStdio stdio;
    auto null_fd = TRY(null_device());
    if (config.tty) {
        for (int fd = 0; fd < 3; ++fd)
            ::dup2(null_fd.get(), fd);
        return stdio;
    }
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) < 0 || ::pipe2(err, O_CLOEXEC) < 0) return fail_errno("pipe");
    if (config.attach && config.attach->stdin) {
        int in[2];
        if (::pipe2(in, O_CLOEXEC) < 0) return fail_errno("pipe");
        ::dup2(in[0], 0);
        ::close(in[0]);
        stdio.in.reset(in[1]);
    } else {
        ::dup2(null_fd.get(), 0);
    }
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close(out[1]);
    ::close(err[1]);
    stdio.out.reset(out[0]);
    stdio.err.reset(err[0]);
    return stdio;
}

Result<oci_runtime::StartedProcess> start_exec(const ExecMonitorConfig& config,
                                               const std::string& dir,
                                               oci_runtime::OciRuntime& runtime) {
    oci_runtime::ExecRequest request;
    request.work_dir = dir;
    request.args = config.args;
    request.env = config.env;
    request.cwd = config.cwd;
    request.user = config.user;
    request.additional_gids = config.additional_gids;
    request.cap_add = config.cap_add;
    request.terminal = config.tty;
    request.no_new_privileges = config.no_new_privileges;
    auto started = runtime.exec(request);
    auto null_fd = TRY(null_device());
    for (int fd = 0; fd < 3; ++fd)
        ::dup2(null_fd.get(), fd);
    return started;
}

Result<void> report(int fd, const Json& doc) {
    return write_all(fd, doc.dump() + "\n");
}

}  // namespace

int run_exec_monitor(const std::string& dir) {
    mark_cloexec_from(kStatusFd);
    auto config_doc = read_json_file(join_path(dir, "exec.json"));
    Result<ExecMonitorConfig> config =
        config_doc ? exec_config_from_json(*config_doc)
                   : Result<ExecMonitorConfig>(std::unexpected(config_doc.error()));
    auto fail_start = [&](const Error& error) {
        (void)report(kStatusFd, {{"error", error.message()}});
        return 1;
    };
    if (!config) return fail_start(config.error());
    detach_from_daemon_session();
    Logger log;
    (void)log.open(join_path(dir, "monitor.log"), LogFormat::Text, false);
    auto control = ControlServer::listen(join_path(dir, "monitor.sock"));
    if (!control) return fail_start(control.error());

    oci_runtime::OciRuntimeConfig runtime_config{config->runtime_root, config->runtime_path,
                                                 config->runtime_args};
    // An external runtime's exec leaves the process to be reparented: to us, so that we can wait
    // for it (the built-in library makes it our child directly).
    if (!runtime_config.builtin()) ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    auto runtime =
        oci_runtime::open_oci_runtime(runtime_config, config->container_id, config->bundle, log);
    auto stdio = wire_exec_stdio(*config);
    if (!stdio) return fail_start(stdio.error());
    auto started = start_exec(*config, dir, *runtime);
    if (!started) return fail_start(started.error());
    pid_t pid = started->pid;
    UniqueFd out = std::move(stdio->out);
    UniqueFd in = std::move(stdio->in);
    if (config->tty) {
        out = std::move(started->terminal);
        if (config->attach && config->attach->stdin)
            in = UniqueFd(::fcntl(out.get(), F_DUPFD_CLOEXEC, 3));
    }
    RelayOptions relay_options;
    relay_options.tty = config->tty;
    relay_options.stdin_once = true;
    relay_options.detach_keys.clear();
    relay_options.capture_limit = config->capture_limit;
    StdioRelay relay(relay_options, std::move(out), std::move(stdio->err), std::move(in), nullptr);
    if (config->attach) relay.add_client(UniqueFd(kFirstInheritedFd), *config->attach);
    (void)report(kStatusFd, {{"pid", pid}});

    ExitRecord exit;
    auto status = pump_until_exit(pid, relay, &*control);
    if (status) {
        exit.exit_code = exit_code_of(*status);
    } else {
        exit.exit_code = 126;
        exit.error = status.error().message();
    }
    // berthd ends the client's stream once it has recorded the exit code, so that a client that
    // inspects the exec right after its stream ends sees it.
    relay.finish(false);
    exit.finished_at = rfc3339_now();
    exit.output = relay.captured();
    control->stop_listening();
    (void)report(kStatusFd, to_json(exit));
    return 0;
}

}  // namespace berth::monitor
