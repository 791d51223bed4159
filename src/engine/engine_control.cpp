// The engine's calls into a container's OCI runtime on behalf of the API: stop (signal, wait,
// SIGKILL), restart, kill, pause and unpause. Each goes to the runtime the container's current run
// was started with (Entry::runtime, see oci_runtime.h).
#include <signal.h>

#include "base/failpoint.h"
#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "runtime/signals.h"

namespace berth::engine {
namespace {

constexpr int kDefaultStopTimeout = 10;
// How long an exit may take after SIGKILL, and after a SIGKILL the runtime could not send.
constexpr auto kKillTimeout = std::chrono::seconds(30);
constexpr auto kRefusedKillTimeout = std::chrono::seconds(2);

bool is_running(RunState s) {
    return s == RunState::Running || s == RunState::Paused;
}

Result<int> signal_number(std::string_view text, int fallback) {
    if (text.empty()) return fallback;
    auto number = runtime::parse_signal(text);
    if (!number) return fail(ErrorKind::InvalidArgument, "Invalid signal: " + std::string(text));
    return *number;
}

std::string short_id(const std::string& id) {
    return id.substr(0, 12);
}

}  // namespace

std::unique_ptr<oci_runtime::OciRuntime> Engine::runtime_of(const Entry& entry) {
    std::lock_guard lock(mutex_);
    return oci_runtime::open_oci_runtime(entry.runtime, entry.container.id,
                                         container_dir(entry.container.id), log_);
}

Result<void> Engine::stop(std::string_view ref, const StopOptions& options) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    return stop_locked(entry, options);
}

Result<void> Engine::stop_locked(const std::shared_ptr<Entry>& entry, const StopOptions& options,
                                 bool publish_stop) {
    std::unique_lock lock(mutex_);
    auto& c = entry->container;
    c.manually_stopped = true;
    // A stop on a full disk is kept too (the database's space reserve), so that a restart
    // policy does not start the container again when berthd starts.
    if (entry->restart_token) {
        scheduler_.cancel(entry->restart_token);
        entry->restart_token = 0;
        if (c.state.status == RunState::Restarting) c.state.status = RunState::Exited;
        (void)persist(c, store::ReserveUse::WhenFull);
    }
    if (!is_running(c.state.status)) {
        (void)persist(c, store::ReserveUse::WhenFull);
        return fail(ErrorKind::AlreadyExists, "container already stopped");
    }
    (void)persist(c, store::ReserveUse::WhenFull);
    failpoint("stop.after-manual-flag");
    int timeout = options.timeout.value_or(c.config.value("StopTimeout", kDefaultStopTimeout));
    std::string signal_text =
        options.signal.empty() ? c.config.value("StopSignal", "") : options.signal;
    int sig = TRY(signal_number(signal_text, SIGTERM));
    uint64_t generation = entry->exit_generation;
    std::string id = c.id;
    bool paused = c.state.status == RunState::Paused;
    Container before = c;  // for the events: as dockerd, kill events name each signal sent
    lock.unlock();

    auto runtime = runtime_of(*entry);
    // A frozen process cannot act on a signal: thaw it first, as docker does.
    if (paused) (void)runtime->resume();
    auto exited = [&] { return entry->exit_generation != generation || entry->removed; };
    auto stopped = [&]() -> Result<void> {
        if (publish_stop) publish(before, "stop");
        return {};
    };
    // The stop signal goes first even with no time to act on it (stop -t 0), as dockerd sends it.
    publish(before, "kill", {{"signal", std::to_string(sig)}});
    auto killed = runtime->kill(sig);
    failpoint("stop.after-signal");
    lock.lock();
    if (sig != SIGKILL) {
        if (timeout < 0)
            changed_.wait(lock, exited);
        else
            changed_.wait_for(lock, std::chrono::seconds(timeout), exited);
        if (exited()) {
            lock.unlock();
            return stopped();
        }
        lock.unlock();
        publish(before, "kill", {{"signal", std::to_string(SIGKILL)}});
        killed = runtime->kill(SIGKILL);
        lock.lock();
    }
    // A kill the runtime refused (its state file damaged, say) brings no exit: say why after a
    // moment (an exit that raced the kill still counts) instead of after the long wait.
    if (!changed_.wait_for(lock, killed ? kKillTimeout : kRefusedKillTimeout, exited)) {
        if (!killed)
            return fail(ErrorKind::Internal,
                        "cannot kill container " + short_id(id) + ": " + killed.error().message());
        return fail(ErrorKind::Internal,
                    "container " + short_id(id) + " did not exit after SIGKILL");
    }
    lock.unlock();
    return stopped();
}

Result<void> Engine::restart(std::string_view ref, const StopOptions& options) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    if (auto stopped = stop_locked(entry, options);
        !stopped && stopped.error().kind() != ErrorKind::AlreadyExists)
        return stopped;
    {
        std::lock_guard lock(mutex_);
        entry->container.manually_stopped = false;
        if (entry->container.state.status == RunState::Restarting)
            entry->container.state.status = RunState::Exited;
    }
    TRY(start_locked(entry));
    Container c = TRY(find(entry->container.id));
    publish(c, "restart");
    return {};
}

Result<void> Engine::kill(std::string_view ref, std::string_view signal_text) {
    auto entry = TRY(resolve(ref));
    int sig = TRY(signal_number(signal_text, SIGKILL));
    std::string id;
    {
        std::lock_guard lock(mutex_);
        auto& c = entry->container;
        if (!is_running(c.state.status))
            return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
        if (sig == SIGKILL || sig == SIGTERM) {
            c.manually_stopped = true;
            (void)persist(c);
        }
        id = c.id;
        publish(c, "kill", {{"signal", std::to_string(sig)}});
    }
    return runtime_of(*entry)->kill(sig);
}

Result<void> Engine::pause(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    return pause_locked(entry);
}

Result<void> Engine::pause_locked(const std::shared_ptr<Entry>& entry) {
    std::unique_lock lock(mutex_);
    auto& c = entry->container;
    if (c.state.status == RunState::Paused)
        return fail(ErrorKind::Conflict, "Container " + c.id + " is already paused");
    if (c.state.status != RunState::Running)
        return fail(ErrorKind::Conflict, "Container " + c.id + " is not running");
    lock.unlock();
    TRY(runtime_of(*entry)->pause());
    lock.lock();
    c.state.status = RunState::Paused;
    (void)persist(c);
    publish(c, "pause");
    return {};
}

Result<void> Engine::unpause(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    return unpause_locked(entry);
}

Result<void> Engine::unpause_locked(const std::shared_ptr<Entry>& entry) {
    std::unique_lock lock(mutex_);
    auto& c = entry->container;
    if (c.state.status != RunState::Paused)
        return fail(ErrorKind::Conflict, "Container " + c.id + " is not paused");
    lock.unlock();
    TRY(runtime_of(*entry)->resume());
    lock.lock();
    c.state.status = RunState::Running;
    (void)persist(c);
    publish(c, "unpause");
    return {};
}

}  // namespace berth::engine
