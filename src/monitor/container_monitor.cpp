#include "monitor/container_monitor.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "base/child_process.h"
#include "base/clock.h"
#include "base/failpoint.h"
#include "base/fs.h"
#include "base/logger.h"
#include "monitor/monitor_loop.h"
#include "oci_runtime/oci_runtime.h"
#include "wire/detach_keys.h"

namespace berth::monitor {
namespace {

constexpr std::chrono::milliseconds kTrimAfter{200};

struct Pipe {
    UniqueFd read, write;
};

Result<Pipe> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno("pipe");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The container's end of its stdio, as fds 0-2 of this process while the runtime starts it (the
// init inherits them), and the monitor's ends. With a terminal, fds 0-2 are /dev/null and the
// runtime hands us the terminal's master.
struct ContainerStdio {
    UniqueFd out, err, in;  // ours
};

Result<ContainerStdio> wire_stdio(const ContainerMonitorConfig& config) {
    ContainerStdio stdio;
    UniqueFd null_fd = TRY(open_fd("/dev/null", O_RDWR | O_CLOEXEC));
    if (config.tty) {
        for (int fd = 0; fd < 3; ++fd)
            ::dup2(null_fd.get(), fd);
        return stdio;
    }
    auto out = TRY(make_pipe());
    auto err = TRY(make_pipe());
    if (config.open_stdin) {
        auto in = TRY(make_pipe());
        ::dup2(in.read.get(), 0);
        stdio.in = std::move(in.write);
    } else {
        ::dup2(null_fd.get(), 0);
    }
    ::dup2(out.write.get(), 1);
    ::dup2(err.write.get(), 2);
    stdio.out = std::move(out.read);
    stdio.err = std::move(err.read);
    return stdio;
}

// Our fds 0-2 go back to /dev/null, so that the container's outputs end when it does.
void release_container_stdio() {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; ++fd)
        ::dup2(null_fd, fd);
    ::close(null_fd);
}

Result<oci_runtime::StartedProcess> start_container(const ContainerMonitorConfig& config,
                                                    const std::string& dir,
                                                    oci_runtime::OciRuntime& runtime) {
    oci_runtime::RunRequest request;
    request.work_dir = dir;
    request.terminal = config.tty;
    auto started = runtime.run(request);
    release_container_stdio();
    return started;
}

Result<void> report(int fd, const Json& doc) {
    return write_all(fd, doc.dump() + "\n");
}

Result<ContainerMonitorConfig> load_config(const std::string& dir) {
    auto doc = TRY(read_json_file(join_path(dir, "monitor.json")));
    return container_config_from_json(doc);
}

// Out of the daemon's session and, unless the zygote forked us, out of its children: our parent
// (the daemon) waits for this first process only; the monitor lives on in the grandchild, which
// init adopts. Then the reaper of the container's orphans.
Result<void> leave_the_daemon(bool forked_by_zygote) {
    detach_from_daemon_session();
    if (!forked_by_zygote) {
        pid_t child = ::fork();
        if (child < 0) return fail_errno("fork the monitor");
        if (child > 0) ::_exit(0);
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    return {};
}

Result<std::optional<logs::JsonLogWriter>> open_log_writer(const ContainerMonitorConfig& config) {
    if (config.log_path.empty()) return std::optional<logs::JsonLogWriter>();
    logs::JsonLogOptions log_options;
    log_options.max_size = config.log_max_size;
    log_options.max_file = config.log_max_file;
    return TRY(logs::JsonLogWriter::open(config.log_path, log_options));
}

// The relay between the container's stdio (or terminal), its log and the attached clients.
StdioRelay make_relay(const ContainerMonitorConfig& config, const std::string& detach_keys,
                      oci_runtime::StartedProcess& started, ContainerStdio& stdio,
                      std::optional<logs::JsonLogWriter>& log_writer) {
    RelayOptions options;
    options.tty = config.tty;
    options.stdin_once = config.stdin_once;
    options.detach_keys = detach_keys;
    // berthd publishes docker's "detach" event (a berthd restarted since has no pipe to hear it).
    options.on_detach = [] { (void)report(kStatusFd, {{"event", "detach"}}); };
    UniqueFd out = config.tty ? std::move(started.terminal) : std::move(stdio.out);
    // With a terminal, stdin is the terminal itself.
    UniqueFd in =
        config.tty ? UniqueFd(::fcntl(out.get(), F_DUPFD_CLOEXEC, 3)) : std::move(stdio.in);
    if (config.tty && !config.open_stdin) in.reset();
    return StdioRelay(options, std::move(out), std::move(stdio.err), std::move(in),
                      log_writer ? &*log_writer : nullptr);
}

// How the container ended, saved to exit.json: only a berthd that was away reads it (not flushed:
// it lives in the exec root, tmpfs where /run is one; a power cut ends every container anyway).
ExitRecord record_exit(const Result<int>& status, oci_runtime::OciRuntime& runtime,
                       const std::string& dir, const Logger& log) {
    ExitRecord exit;
    if (status) {
        exit.exit_code = exit_code_of(*status);
    } else {
        exit.exit_code = 255;
        exit.error = status.error().message();
    }
    // Before the removal, which takes the cgroup (and its OOM count) with it.
    if (auto kills = runtime.oom_kills()) exit.oom_killed = *kills > 0;
    exit.finished_at = rfc3339_now();
    // Not flushed: it lives in the exec root (tmpfs where /run is one) and only tells a berthd
    // that was away how the container ended; a power cut ends every container anyway.
    if (auto written = write_file_atomic(join_path(dir, "exit.json"), to_json(exit).dump(), 0600,
                                         Durability::Volatile);
        !written)
        log.error("write exit.json: " + written.error().message());
    failpoint("monitor.after-exit-record");
    return exit;
}

}  // namespace

int run_container_monitor(const std::string& dir, bool forked_by_zygote) {
    // Status pipe to the daemon; everything else we inherited closes on exec, so the container
    // gets none of it.
    mark_cloexec_from(kStatusFd);
    auto fail_start = [&](const Error& error) {
        (void)report(kStatusFd, {{"error", error.message()}});
        return 1;
    };
    auto config = load_config(dir);
    if (!config) return fail_start(config.error());
    if (auto left = leave_the_daemon(forked_by_zygote); !left) return fail_start(left.error());

    Logger log;
    (void)log.open(join_path(dir, "monitor.log"), LogFormat::Text, false);
    auto control = ControlServer::listen(join_path(dir, "monitor.sock"));
    if (!control) return fail_start(control.error());
    auto detach_keys = wire::parse_detach_keys(config->detach_keys);
    if (!detach_keys) return fail_start(detach_keys.error());
    auto log_writer = open_log_writer(*config);
    if (!log_writer) return fail_start(log_writer.error());

    auto runtime = oci_runtime::open_oci_runtime(
        oci_runtime::OciRuntimeConfig{config->runtime_root, config->runtime_path,
                                      config->runtime_args},
        config->id, config->bundle, log);
    auto stdio = wire_stdio(*config);
    if (!stdio) return fail_start(stdio.error());
    auto started = start_container(*config, dir, *runtime);
    if (!started) return fail_start(started.error());
    pid_t pid = started->pid;
    // The container's mount namespace stays referenced until this process ends: tearing it
    // down (its mounts go with an RCU grace period, ~5 ms here) then happens after the exit is
    // reported, not between the container's exit and the moment berthd hears of it. A container
    // gone already has nothing left to hold.
    UniqueFd mounts_until_reported(
        ::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC));
    StdioRelay relay = make_relay(*config, *detach_keys, *started, *stdio, *log_writer);
    for (const auto& attach : config->attaches)
        relay.add_client(UniqueFd(attach.fd), attach);
    (void)report(kStatusFd, {{"pid", pid}});

    // Starting the container parsed its spec and compiled its seccomp filter: give that heap
    // back once it has run for a moment. This process stays as long as the container runs; a
    // container that ends at once (`run --rm … true`) does not wait for the trim.
    SettledTask trim{kTrimAfter, [] { ::malloc_trim(0); }};
    auto status = pump_until_exit(pid, relay, &*control, std::move(trim));
    relay.finish();
    ExitRecord exit = record_exit(status, *runtime, dir, log);
    // The exit is reported first, as containerd's shim does before its runtime's `delete`: the
    // client waiting for it need not wait for the cleanup below. berthd starts this container
    // again only once this process has gone (its status pipe ends), so the cleanup never races
    // the next run's runtime state or cgroups. monitor.sock stays bound until then, for the
    // same reason: a berthd that restarts meanwhile waits on it for the end.
    (void)report(kStatusFd, to_json(exit));
    // What is left is teardown nobody waits for: at the lowest priority, behind the work clients
    // wait for.
    (void)::setpriority(PRIO_PROCESS, 0, 19);
    if (auto removed = runtime->remove(); !removed)
        log.warn("delete the container's runtime state: " + removed.error().message());
    control->stop_listening();
    return 0;
}

}  // namespace berth::monitor
