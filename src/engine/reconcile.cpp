// Reconciliation at start: berthd compares what metadata.db records with what a crash (kill -9,
// power cut) left on disk and alive, and puts each container right before anything else runs:
// adopted with its live process, or cleaned (processes killed, runtime state, mounts and files
// removed), never listed in a state it cannot leave. Each repair is one line in the log saying
// what was found and what was done. The order of create, start and rm (engine.cpp) is what
// makes each state a kill can leave one of those handled here; tests/faults/ kills berthd at
// every step to prove it.
#include <algorithm>

#include "base/clock.h"
#include "base/fs.h"
#include "base/json.h"
#include "engine/data_root_check.h"
#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "engine/monitor_launcher.h"
#include "engine/record_file.h"

namespace berth::engine {
namespace {

std::string short_id_of(const std::string& id) {
    return id.substr(0, 12);
}

bool is_running_state_of(RunState status) {
    return status == RunState::Running || status == RunState::Paused;
}

// The container's init as its runtime recorded it: "pid" (berth, crun) or "init_process_pid"
// (runc) in <runtime-root>/<id>/state.json; 0 when unknown.
pid_t recorded_init_pid(const monitor::OciRuntimeConfig& runtime, const std::string& id) {
    auto state = read_json_file(join_path(join_path(runtime.root, id), "state.json"));
    if (!state || !state->is_object()) return 0;
    for (const char* key : {"pid", "init_process_pid"})
        if (auto it = state->find(key); it != state->end() && it->is_number_integer())
            return it->get<pid_t>();
    return 0;
}

// Whether a directory holds nothing but empty directories (a create cut short before its
// record file leaves an empty one).
bool holds_no_files(const std::string& dir) {
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
        if (!it->is_directory(error)) return false;
    return !error;
}

}  // namespace

void Engine::reconcile_unrecorded_dirs(const std::set<std::string>& damaged) {
    std::vector<std::string> unrecorded;
    {
        std::lock_guard lock(mutex_);
        auto recorded = [&](const std::string& id) {
            return entries_.contains(id) || damaged.contains(id);
        };
        unrecorded = unrecorded_container_dirs(options_.root, recorded);
    }
    for (const auto& dir : unrecorded)
        adopt_or_clean_unrecorded(dir.substr(dir.find_last_of('/') + 1));
}

void Engine::adopt_or_clean_unrecorded(const std::string& id) {
    std::string dir = container_dir(id);
    auto record = read_record_file(dir, id);
    if (record) {
        // Its record was lost with the database (a -wal lost after a crash), or the create was
        // cut short after the record file: either way the container the file describes.
        std::lock_guard lock(mutex_);
        if (auto inserted = store_.insert(*record, Durability::Flushed); !inserted) {
            warn("container directory " + dir + " has no record in metadata.db and " +
                 kRecordFileName + " cannot be recorded (" + inserted.error().message() +
                 "): left as it is");
            return;
        }
        auto entry = std::make_shared<Entry>();
        entry->container = std::move(*record);
        entries_[id] = entry;
        warn("container " + short_id_of(id) + " (/" + entry->container.name +
             ") had no record in metadata.db: recorded again from " +
             join_path(dir, kRecordFileName));
        return;
    }
    if (record.error().kind() != ErrorKind::NotFound || !holds_no_files(dir)) {
        // Files of a container whose record cannot be rebuilt: a person may know better.
        warn("container directory " + dir + " has no record in metadata.db and no usable " +
             kRecordFileName + " (" + record.error().message() + "): left as it is");
        return;
    }
    // A create cut short before its record: nothing was acknowledged, nothing ran.
    (void)images_.snapshotter().remove_active(id);
    (void)remove_all(dir);
    warn("container directory " + dir +
         " was left by a create cut short (no record): it and its snapshot were removed");
}

bool Engine::reconcile_entry(const std::shared_ptr<Entry>& entry,
                             const std::set<std::string>& active) {
    Container c;
    {
        std::lock_guard lock(mutex_);
        c = entry->container;
    }
    if (!path_exists(container_dir(c.id))) {
        // Removal moves the directory before it deletes the record: the record of a removal cut
        // short, or one a lost -wal brought back. Either way the container is gone.
        settle_stray_run(entry);
        std::lock_guard op(entry->op);
        auto removed = remove_locked(entry);
        warn("container " + short_id_of(c.id) + " (/" + c.name +
             ") has a record but no directory: " +
             (removed ? "its removal was finished"
                      : "removal failed: " + removed.error().message()));
        return false;
    }
    if (c.state.status != RunState::Removing && !active.contains(c.id)) {
        std::string missing = "its file system (snapshot " + c.id + ") is missing";
        std::lock_guard lock(mutex_);
        auto& state = entry->container.state;
        state.status = RunState::Dead;
        state.error = missing;
        (void)persist_run_state(entry->container);
        warn("container " + short_id_of(c.id) + " (/" + c.name + "): " + missing +
             ": marked dead, it can only be removed");
        return true;
    }
    if (!is_running_state_of(c.state.status) && c.state.status != RunState::Removing)
        settle_stray_run(entry);
    return true;
}

void Engine::settle_stray_run(const std::shared_ptr<Entry>& entry) {
    const std::string id = entry->container.id;
    std::string dir = monitor_dir(id);
    if (!path_exists(dir)) return;
    auto runtime = runtime_of_monitor(dir);
    bool exited = path_exists(join_path(dir, "exit.json"));
    if (!exited && path_exists(container_dir(id)) && connect_monitor(dir)) {
        // A start cut short after its monitor started the container, before it was recorded:
        // the container runs, so it is recorded running and watched as any other.
        std::lock_guard lock(mutex_);
        auto& c = entry->container;
        std::string was(to_string(c.state.status));
        c.state.status = RunState::Running;
        c.state.pid = recorded_init_pid(runtime, id);
        c.state.error.clear();
        c.state.exit_code = 0;
        c.state.started_at = rfc3339_now();
        c.state.finished_at = kZeroTime;
        c.has_been_started = true;
        (void)persist_run_state(c);
        warn("container " + short_id_of(id) + " (/" + c.name + ") was recorded " + was +
             " but its monitor runs it (a start cut short): adopted as running");
        return;
    }
    // Recorded as not running, yet the runtime holds it: a start cut short whose monitor is
    // gone, or a monitor killed during its cleanup.
    if (remove_runtime_leftovers(runtime, id))
        warn("container " + short_id_of(id) + " (/" + entry->container.name +
             "): recorded as not running, yet its runtime held it: its processes were killed "
             "and its runtime state deleted");
    unmount_rootfs(entry->container);
}

}  // namespace berth::engine
