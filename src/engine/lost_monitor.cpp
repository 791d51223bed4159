// A container monitor that dies (kill -9, the OOM killer) before reporting its container's exit
// leaves the container running, unwatched: nobody would record its exit, drain its output or
// delete its runtime state and cgroups, and the next start would meet them ("already exists").
// As containerd does with a lost shim, berthd then kills and deletes the container through its
// runtime (the built-in library, or the binary monitor.json names) before it records the exit:
// 137 (killed), as containerd reports it, or 255 when nothing of the container was left.
// An exec's lost monitor gets the same: its process is killed, its exit recorded as 137.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fs.h"
#include "engine/engine.h"
#include "engine/engine_entry.h"

namespace berth::engine {
namespace {

constexpr int kKilledExitCode = 128 + 9;  // SIGKILL, containerd's status for a lost shim's task
constexpr int kLostExitCode = 255;        // dockerd's, for a task that is not there at all
constexpr int kKillWaitMs = 1000;

}  // namespace

void Engine::warn(const std::string& message) const {
    if (options_.warn)
        options_.warn(message);
    else
        log_.warn(message);
}

oci_runtime::OciRuntimeConfig Engine::runtime_of_monitor(const std::string& dir) const {
    std::string path = join_path(dir, "monitor.json");
    auto doc = read_json_file(path);
    auto config = doc ? monitor::container_config_from_json(*doc)
                      : Result<monitor::ContainerMonitorConfig>(std::unexpected(doc.error()));
    if (!config) {
        // A monitor of a berthd from before runtimes could be chosen ran the built-in one; so
        // do the others, and a person may know better.
        if (path_exists(path))
            warn("container " + dir.substr(dir.find_last_of('/') + 1) + ": damaged state file " +
                 config.error().message() + ": its runtime is taken to be the built-in one");
        return runtimes_.resolve(oci_runtime::kBuiltinRuntimeName).value();
    }
    return {config->runtime_root, config->runtime_path, config->runtime_args};
}

bool Engine::remove_runtime_leftovers(const oci_runtime::OciRuntimeConfig& runtime,
                                      const std::string& id) {
    // Every runtime (berth's, runc, crun) keeps a container's state in <root>/<id>: one stat
    // tells whether there is anything to delete, without running a runtime binary.
    if (runtime.root.empty() || !path_exists(join_path(runtime.root, id))) return false;
    auto removed = oci_runtime::open_oci_runtime(runtime, id, container_dir(id), log_)->remove();
    if (!removed) warn("delete what is left of container " + id + ": " + removed.error().message());
    return true;
}

monitor::ExitRecord Engine::reap_lost_container(const std::string& id, const std::string& dir) {
    // A monitor that wrote exit.json and died before reporting it: its container has exited.
    auto recorded = recorded_exit(dir);
    if (std::string path = join_path(dir, "exit.json"); !recorded && path_exists(path))
        warn("container " + id + ": damaged state file " + path + ": its exit is recorded as lost");
    bool killed = remove_runtime_leftovers(runtime_of_monitor(dir), id);
    if (recorded) return *recorded;
    monitor::ExitRecord lost;
    lost.finished_at = rfc3339_now();
    lost.exit_code = killed ? kKilledExitCode : kLostExitCode;
    lost.error = killed ? "the container's monitor died: its processes were killed"
                        : "the container's monitor exited without recording the exit";
    return lost;
}

monitor::ExitRecord Engine::reap_lost_exec(const std::string& exec_id) {
    UniqueFd pidfd;
    {
        std::lock_guard lock(mutex_);
        if (auto it = execs_.find(exec_id); it != execs_.end())
            pidfd = std::move(it->second->pidfd);
    }
    bool killed =
        pidfd.valid() && ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) == 0;
    if (killed) {
        // Its exit is recorded once it is gone (SIGKILL is quick unless the process is stuck in
        // the kernel; then we do not wait for it).
        pollfd gone{pidfd.get(), POLLIN, 0};
        while (::poll(&gone, 1, kKillWaitMs) < 0 && errno == EINTR) {
        }
    }
    monitor::ExitRecord lost;
    lost.finished_at = rfc3339_now();
    lost.exit_code = killed ? kKilledExitCode : kLostExitCode;
    lost.error = killed ? "the exec's monitor died: its process was killed"
                        : "the exec's monitor exited without recording the exit";
    return lost;
}

void Engine::on_monitor_lost(const std::string& id, const std::string& dir) {
    if (id.starts_with("exec:")) {
        on_exit(id, reap_lost_exec(id.substr(5)));
        return;
    }
    on_exit(id, reap_lost_container(id, dir));
}

void Engine::on_monitor_gone(const std::string& id) {
    if (id.starts_with("exec:")) return;
    std::shared_ptr<Entry> entry;
    oci_runtime::OciRuntimeConfig runtime;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        entry = it->second;
        runtime = entry->runtime;
    }
    // A monitor killed after reporting the exit, during its own cleanup, leaves the runtime's
    // state and cgroups behind; the next start must not meet them.
    (void)remove_runtime_leftovers(runtime, id);
    std::lock_guard lock(mutex_);
    entry->monitor_running = false;
    changed_.notify_all();
}

}  // namespace berth::engine
