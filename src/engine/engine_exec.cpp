// exec (docker exec) and health checks, which are execs the engine runs on a schedule. Each
// exec runs under its own berth-monitor (mode "exec"), a child of the daemon.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "base/fs.h"
#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "engine/names.h"
#include "engine/start_error.h"
#include "runtime/capabilities.h"
#include "spec/user_lookup.h"

namespace berth::engine {
namespace {

constexpr size_t kHealthOutputLimit = 4096;  // docker keeps this much of a probe's output
constexpr size_t kHealthLogEntries = 5;
constexpr int64_t kDefaultHealthNanos = 30LL * 1000 * 1000 * 1000;
constexpr int kDefaultHealthRetries = 3;

bool is_running(RunState s) {
    return s == RunState::Running || s == RunState::Paused;
}

std::vector<std::string> string_list(const Json& value) {
    std::vector<std::string> out;
    if (value.is_array())
        for (const auto& v : value)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

// Env of an exec: the container's, then the exec's (same key: the exec's wins).
std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string>& extra) {
    for (const auto& entry : extra) {
        std::string key = entry.substr(0, entry.find('='));
        std::erase_if(base, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
        base.push_back(entry);
    }
    return base;
}

int64_t health_nanos(const Json& health, const char* key, int64_t fallback) {
    int64_t value = health.is_object() ? health.value(key, int64_t{0}) : 0;
    return value > 0 ? value : fallback;
}

// How docker's exec events name the command: the program, a space, the arguments joined by
// spaces (so "exec_start: true " for a program without arguments).
std::string event_command(const std::vector<std::string>& cmd) {
    std::string text = cmd.empty() ? "" : cmd.front();
    text += ' ';
    for (size_t i = 1; i < cmd.size(); ++i)
        text += (i > 1 ? " " : "") + cmd[i];
    return text;
}

// The probe's command: ["CMD", args…] or ["CMD-SHELL", "command"]; empty when there is none.
std::vector<std::string> probe_command(const Json& health) {
    auto test = string_list(health.is_object() ? health.value("Test", Json()) : Json());
    if (test.empty() || test[0] == "NONE") return {};
    if (test[0] == "CMD") return {test.begin() + 1, test.end()};
    if (test[0] == "CMD-SHELL" && test.size() > 1) return {"/bin/sh", "-c", test[1]};
    return {};
}

}  // namespace

Result<std::string> Engine::exec_create(std::string_view ref, const Json& body) {
    if (!body.is_object())
        return fail(ErrorKind::InvalidArgument, "exec config must be a JSON object");
    auto cmd = string_list(body.value("Cmd", Json()));
    if (cmd.empty()) return fail(ErrorKind::InvalidArgument, "No exec command specified");
    auto entry = TRY(resolve(ref));
    std::lock_guard lock(mutex_);
    auto& c = entry->container;
    if (c.state.status == RunState::Paused)
        return fail(ErrorKind::Conflict,
                    "Container " + c.id + " is paused, unpause the container before exec");
    if (!is_running(c.state.status))
        return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
    auto exec = std::make_shared<ExecEntry>();
    exec->id = random_id();
    exec->container_id = c.id;
    exec->config = body;
    execs_[exec->id] = exec;
    entry->exec_ids.push_back(exec->id);
    publish(c, "exec_create: " + event_command(cmd), {{"execID", exec->id}});
    return exec->id;
}

Result<void> Engine::exec_start(std::string_view exec_id, ClientStream connection, bool detach) {
    std::shared_ptr<ExecEntry> exec;
    Container c;
    oci_runtime::OciRuntimeConfig runtime;
    {
        std::lock_guard lock(mutex_);
        auto it = execs_.find(std::string(exec_id));
        if (it == execs_.end())
            return fail(ErrorKind::NotFound, "No such exec instance: " + std::string(exec_id));
        exec = it->second;
        if (exec->started)
            return fail(ErrorKind::Conflict, "Exec command " + exec->id + " has already run");
        auto entry = entries_.find(exec->container_id);
        if (entry == entries_.end() || !is_running(entry->second->container.state.status))
            return fail(ErrorKind::Conflict, "Container " + exec->container_id + " is not running");
        c = entry->second->container;
        runtime = entry->second->runtime;
        exec->started = true;
        exec->running = true;
    }
    const Json& body = exec->config;
    monitor::ExecMonitorConfig config;
    config.container_id = c.id;
    config.exec_id = exec->id;
    config.bundle = container_dir(c.id);
    config.runtime_root = runtime.root;
    config.runtime_path = runtime.path;
    config.runtime_args = runtime.args;
    config.args = string_list(body.value("Cmd", Json()));
    config.env = merge_env(string_list(c.config.value("Env", Json())),
                           string_list(body.value("Env", Json())));
    config.cwd = body.value("WorkingDir", "");
    if (config.cwd.empty()) config.cwd = c.config.value("WorkingDir", "");
    if (config.cwd.empty()) config.cwd = "/";
    config.tty = body.value("Tty", false);
    // As moby's exec: the exec's user, else the container's, resolved afresh with the user's
    // own groups and GroupAdd's in place of the container process's; with neither, the
    // container process's user and groups as they are.
    std::string user = body.value("User", "");
    if (user.empty()) user = c.config.value("User", "");
    if (!user.empty()) {
        auto resolved = spec::resolve_user(rootfs_dir(c.id), user,
                                           string_list(c.host_config.value("GroupAdd", Json())));
        if (!resolved) {
            std::lock_guard lock(mutex_);
            exec->running = false;
            exec->exit_code = 126;
            return fail(std::move(resolved).error());
        }
        config.user = std::to_string(resolved->uid) + ":" + std::to_string(resolved->gid);
        for (auto gid : resolved->additional_gids)
            config.additional_gids.push_back(std::to_string(gid));
    }
    if (body.value("Privileged", false)) config.cap_add = runtime::all_capability_names();
    config.capture_limit = exec->capture_limit;
    if (connection.fd.valid()) {
        monitor::AttachRequest attach;
        attach.stdin = body.value("AttachStdin", false);
        attach.stdout = body.value("AttachStdout", false);
        attach.stderr = body.value("AttachStderr", false);
        attach.fd = monitor::kFirstInheritedFd;
        attach.input = std::move(connection.input);
        config.attach = attach;
    }
    exec->dir = join_path(join_path(monitor_dir(c.id), "exec"), exec->id);
    TRY(mkdir_all(exec->dir, 0700));
    TRY(write_file(join_path(exec->dir, "exec.json"), to_json(config).dump(), 0600));
    std::vector<int> inherited;
    if (connection.fd.valid()) inherited.push_back(connection.fd.get());
    publish(c, "exec_start: " + event_command(config.args), {{"execID", exec->id}});
    auto spawned = spawn_monitor(monitor_binary_, "exec", exec->dir, inherited);
    if (!spawned) {
        // The runtime's refusal, in dockerd's words and with its exit code (127: not there,
        // 126: cannot run).
        std::string message = spawned.error().message();
        int code = start_error_exit_code(message);
        {
            std::lock_guard lock(mutex_);
            exec->running = false;
            exec->exit_code = code;
        }
        (void)remove_all(exec->dir);
        return fail(code == kExitStartFailed ? ErrorKind::Internal : ErrorKind::InvalidArgument,
                    "OCI runtime exec failed: " + message);
    }
    {
        std::lock_guard lock(mutex_);
        exec->pid = spawned->pid;
        // Taken while the monitor, its parent, has not reaped it: the pid names this process.
        exec->pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, spawned->pid, 0)));
        exec->monitor_pid = spawned->monitor_pid;
    }
    if (detach || !config.attach) {
        std::string dir = exec->dir;
        return watcher_.watch("exec:" + exec->id, std::move(spawned->status),
                              std::move(spawned->pending), dir);
    }
    // Attached: the client's connection is the monitor's now; this request ends with the exec.
    auto record = finish_monitor(*spawned);
    on_exec_exit(exec->id, record ? std::move(*record) : reap_lost_exec(exec->id));
    ::shutdown(connection.fd.get(), SHUT_RDWR);
    return {};
}

void Engine::on_exec_exit(const std::string& exec_id, monitor::ExitRecord record) {
    std::shared_ptr<ExecEntry> exec;
    {
        std::lock_guard lock(mutex_);
        auto it = execs_.find(exec_id);
        if (it == execs_.end()) return;
        exec = it->second;
        exec->running = false;
        exec->exit_code = record.exit_code;
        exec->pidfd.reset();
        if (exec->timeout_token) scheduler_.cancel(exec->timeout_token);
    }
    if (exec->monitor_pid > 0) {
        RunningMonitor reap;
        reap.monitor_pid = exec->monitor_pid;
        reap.status.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        (void)finish_monitor(reap);
    }
    (void)remove_all(exec->dir);
    if (auto c = find(exec->container_id))
        publish(*c, "exec_die",
                {{"execID", exec->id}, {"exitCode", std::to_string(record.exit_code)}});
    if (exec->timed_out) {
        int64_t timeout = 0;
        if (auto c = find(exec->container_id))
            timeout = health_nanos(c->config.value("Healthcheck", Json()), "Timeout",
                                   kDefaultHealthNanos);
        record.exit_code = -1;
        record.output =
            "Health check exceeded timeout (" + std::to_string(timeout / 1000000000) + "s)";
    }
    if (exec->health_probe)
        on_health_result(exec->container_id, exec->run_generation, std::move(record),
                         exec->started_at);
    changed_.notify_all();
}

Result<Json> Engine::exec_inspect(std::string_view exec_id) {
    std::lock_guard lock(mutex_);
    auto it = execs_.find(std::string(exec_id));
    if (it == execs_.end())
        return fail(ErrorKind::NotFound, "No such exec instance: " + std::string(exec_id));
    const auto& e = *it->second;
    auto args = string_list(e.config.value("Cmd", Json()));
    Json process = {
        {"tty", e.config.value("Tty", false)},
        {"entrypoint", args.empty() ? "" : args[0]},
        {"arguments", std::vector<std::string>(args.begin() + (args.empty() ? 0 : 1), args.end())},
        {"privileged", e.config.value("Privileged", false)}};
    if (e.config.contains("User")) process["user"] = e.config["User"];
    return Json{{"ID", e.id},
                {"Running", e.running},
                {"ExitCode", e.exit_code ? Json(*e.exit_code) : Json(nullptr)},
                {"ProcessConfig", process},
                {"OpenStdin", e.config.value("AttachStdin", false)},
                {"OpenStderr", e.config.value("AttachStderr", false)},
                {"OpenStdout", e.config.value("AttachStdout", false)},
                {"CanRemove", false},
                {"ContainerID", e.container_id},
                {"DetachKeys", e.config.value("DetachKeys", "")},
                {"Pid", e.pid}};
}

Result<void> Engine::exec_resize(std::string_view exec_id, int height, int width) {
    std::string dir;
    {
        std::lock_guard lock(mutex_);
        auto it = execs_.find(std::string(exec_id));
        if (it == execs_.end())
            return fail(ErrorKind::NotFound, "No such exec instance: " + std::string(exec_id));
        if (!it->second->running)
            return fail(ErrorKind::Conflict, "Exec " + std::string(exec_id) + " is not running");
        dir = it->second->dir;
    }
    return monitor::request(join_path(dir, "monitor.sock"),
                            {{"op", "resize"}, {"height", height}, {"width", width}});
}

// --- health checks -------------------------------------------------------------------------

void Engine::schedule_health_check(const std::shared_ptr<Entry>& entry, bool first) {
    std::lock_guard lock(mutex_);
    auto& c = entry->container;
    const Json& health = c.config.value("Healthcheck", Json());
    if (probe_command(health).empty()) return;
    if (first)
        c.state.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
    int64_t interval = health_nanos(health, "Interval", kDefaultHealthNanos);
    // During the start period, docker probes at StartInterval when one is set.
    auto since_start = std::chrono::steady_clock::now() - entry->started;
    int64_t start_period = health_nanos(health, "StartPeriod", 0);
    int64_t start_interval = health_nanos(health, "StartInterval", 0);
    if (start_interval > 0 && since_start < std::chrono::nanoseconds(start_period))
        interval = start_interval;
    std::string id = c.id;
    entry->health_token = scheduler_.schedule(std::chrono::nanoseconds(interval),
                                              [this, id] { run_health_check(id); });
}

void Engine::run_health_check(const std::string& id) {
    std::shared_ptr<Entry> entry;
    std::vector<std::string> command;
    Json health;
    uint64_t generation;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        entry = it->second;
        entry->health_token = 0;
        if (entry->container.state.status != RunState::Running) return;
        health = entry->container.config.value("Healthcheck", Json());
        command = probe_command(health);
        generation = entry->run_generation;
    }
    Json body = {{"Cmd", command}, {"AttachStdout", true}, {"AttachStderr", true}};
    auto exec_id = exec_create(id, body);
    if (!exec_id) return;
    std::shared_ptr<ExecEntry> exec;
    {
        std::lock_guard lock(mutex_);
        exec = execs_[*exec_id];
        exec->health_probe = true;
        exec->capture_limit = kHealthOutputLimit;  // captured, not streamed
        exec->run_generation = generation;
        exec->started_at = rfc3339_now();
        // Probes are not listed as the container's execs.
        std::erase(entry->exec_ids, *exec_id);
    }
    if (auto ran = exec_start(*exec_id, ClientStream{}, true); !ran) {
        monitor::ExitRecord failed;
        failed.exit_code = -1;
        failed.output = ran.error().message();
        {
            std::lock_guard lock(mutex_);
            execs_.erase(*exec_id);
        }
        on_health_result(id, generation, std::move(failed), exec->started_at);
        return;
    }
    int64_t timeout = health_nanos(health, "Timeout", kDefaultHealthNanos);
    std::string probe = *exec_id;
    std::lock_guard lock(mutex_);
    exec->timeout_token = scheduler_.schedule(std::chrono::nanoseconds(timeout), [this, probe] {
        std::lock_guard lock(mutex_);
        auto it = execs_.find(probe);
        if (it == execs_.end() || !it->second->running) return;
        it->second->timed_out = true;
        if (it->second->pidfd.valid())
            ::syscall(SYS_pidfd_send_signal, it->second->pidfd.get(), SIGKILL, nullptr, 0);
    });
}

void Engine::on_health_result(const std::string& id, uint64_t generation,
                              monitor::ExitRecord record, std::string started_at) {
    std::shared_ptr<Entry> entry;
    std::string new_status;
    Container c;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        entry = it->second;
        auto& state = entry->container.state;
        if (entry->run_generation != generation || state.status != RunState::Running ||
            !state.health.is_object())
            return;
        const Json& health = entry->container.config.value("Healthcheck", Json());
        int retries = health.is_object() ? health.value("Retries", 0) : 0;
        if (retries <= 0) retries = kDefaultHealthRetries;
        auto since_start = std::chrono::steady_clock::now() - entry->started;
        bool in_start_period =
            since_start < std::chrono::nanoseconds(health_nanos(health, "StartPeriod", 0));
        std::string old_status = state.health.value("Status", "starting");
        int streak = state.health.value("FailingStreak", 0);
        if (record.exit_code == 0) {
            streak = 0;
            new_status = "healthy";
        } else if (!in_start_period || old_status == "healthy") {
            ++streak;
            new_status = streak >= retries ? "unhealthy" : old_status;
        } else {
            new_status = old_status;
        }
        Json log = state.health.value("Log", Json::array());
        log.push_back({{"Start", started_at},
                       {"End", rfc3339_now()},
                       {"ExitCode", record.exit_code},
                       {"Output", record.output}});
        while (log.size() > kHealthLogEntries)
            log.erase(log.begin());
        state.health = {{"Status", new_status}, {"FailingStreak", streak}, {"Log", log}};
        (void)persist_run_state(entry->container);
        if (new_status != old_status)
            c = entry->container;
        else
            new_status.clear();
    }
    if (!new_status.empty()) publish(c, "health_status: " + new_status);
    schedule_health_check(entry, false);
}

}  // namespace berth::engine
