#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/child_process.h"
#include "base/clock.h"
#include "base/fs.h"
#include "base/logger.h"
#include "monitor/container_monitor.h"
#include "monitor/monitor_loop.h"
#include "runtime/runtime.h"
#include "runtime/sync_socket.h"

namespace berth::monitor {
namespace {

struct ExecStdio {
    UniqueFd out, err, in;
    UniqueFd console_socket, console_peer;
};

Result<UniqueFd> null_device() {
    return open_fd("/dev/null", O_RDWR | O_CLOEXEC);
}

// Like the container monitor: the process inherits fds 0-2 of ours while the runtime starts it.
Result<ExecStdio> wire_exec_stdio(const ExecMonitorConfig& config) {
    ExecStdio stdio;
    auto null_fd = TRY(null_device());
    if (config.tty) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
            return fail_errno("socketpair");
        stdio.console_socket.reset(pair[0]);
        stdio.console_peer.reset(pair[1]);
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

Result<pid_t> start_exec(const ExecMonitorConfig& config, const std::string& dir, const Logger& log,
                         ExecStdio& stdio) {
    runtime::Runtime runtime(config.runtime_root, log);
    runtime::ExecOptions options;
    options.id = config.container_id;
    options.args = config.args;
    options.env = config.env;
    options.cwd = config.cwd;
    options.user = config.user;
    options.additional_gids = config.additional_gids;
    options.cap_add = config.cap_add;
    options.tty = config.tty;
    options.no_new_privileges = config.no_new_privileges;
    options.detach = true;
    options.pid_file = join_path(dir, "pid");
    options.console_fd = stdio.console_peer.valid() ? stdio.console_peer.get() : -1;
    auto ran = runtime.exec(options);
    auto null_fd = TRY(null_device());
    for (int fd = 0; fd < 3; ++fd)
        ::dup2(null_fd.get(), fd);
    stdio.console_peer.reset();
    TRY(ran);
    auto text = TRY(read_file(options.pid_file));
    return static_cast<pid_t>(std::stol(text));
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

    auto stdio = wire_exec_stdio(*config);
    if (!stdio) return fail_start(stdio.error());
    auto pid = start_exec(*config, dir, log, *stdio);
    if (!pid) return fail_start(pid.error());
    UniqueFd out = std::move(stdio->out);
    UniqueFd in = std::move(stdio->in);
    if (config->tty) {
        auto master = runtime::receive_fd(stdio->console_socket.get());
        if (!master) return fail_start(master.error());
        out = std::move(*master);
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
    (void)report(kStatusFd, {{"pid", *pid}});

    ExitRecord exit;
    auto status = pump_until_exit(*pid, relay, &*control);
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
