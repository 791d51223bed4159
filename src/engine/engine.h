// The engine: berthd's containers. It creates them from docker's Config/HostConfig, runs each under
// its own berth-monitor, records exits (while running, and after a restart of the daemon from the
// monitors' exit records), applies restart policies and health checks, and publishes events.
//
// Thread-safe: API handlers call it from their connection threads. Lifecycle operations on one
// container are serialised by that container's operation lock; the engine-wide mutex guards the
// in-memory table and is never held across a spawn, a wait or a long file operation.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/logger.h"
#include "base/unique_fd.h"
#include "engine/container.h"
#include "engine/container_store.h"
#include "engine/events.h"
#include "engine/janitor.h"
#include "engine/monitor_launcher.h"
#include "engine/monitor_zygote.h"
#include "engine/scheduler.h"
#include "image/image_service.h"
#include "oci_runtime/runtime_registry.h"
#include "spec/seccomp_profile.h"

namespace berth::engine {

struct EngineOptions {
    std::string root;       // persistent state (/var/lib/berth)
    std::string exec_root;  // runtime state, monitor sockets (/run/berth)
    std::string monitor_binary;
    std::string init_binary;
    std::string cgroup_parent = "/berth";
    std::map<std::string, std::string> default_log_opts;  // daemon.json log-opts
    Json default_ulimits = Json::array();
    // OCI runtimes besides the built-in one (daemon.json `runtimes`, --add-runtime) and the one
    // a container gets when it names none (`default-runtime`).
    std::map<std::string, oci_runtime::RuntimeBinary> runtimes;
    std::string default_runtime = std::string(oci_runtime::kBuiltinRuntimeName);
    // berthd's log, for what a person should know (a damaged state file); unset: stderr.
    std::function<void(std::string_view message)> warn;
};

enum class WaitCondition { NotRunning, NextExit, Removed };
Result<WaitCondition> wait_condition_from_string(std::string_view text);

struct WaitResult {
    int status_code = 0;
    std::string error;
};

struct ListOptions {
    bool all = false;
    int limit = -1;
    bool size = false;
    std::map<std::string, std::vector<std::string>> filters;
};

// A client's connection taken over for a stdio stream (attach, exec start), with what the API
// had already read from it past the request: the client's first input, which the container's
// stdin gets before anything read from `fd`.
struct ClientStream {
    UniqueFd fd;
    std::string input;
};

// docker commit (POST /commit).
struct CommitOptions {
    std::string reference;  // the new image's name ("repo" or "repo:tag"); empty: untagged
    std::string author;
    std::string comment;
    std::vector<std::string> changes;  // Dockerfile instructions: "ENV A=1", "CMD [\"sh\"]"…
    bool pause = true;                 // freeze a running container while its files are read
    Json config;                       // a Config to start from (the request body); null: the
                                       // container's own
};

struct StopOptions {
    std::optional<int> timeout;  // seconds; nullopt: the container's StopTimeout or 10
    std::string signal;          // empty: the container's StopSignal or SIGTERM
};

class Engine {
  public:
    static Result<std::unique_ptr<Engine>> open(EngineOptions options, image::ImageService& images,
                                                EventBus& events);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // --- containers ---
    struct Created {
        std::string id;
        std::vector<std::string> warnings;
    };
    // `body` is the JSON of POST /containers/create (Config fields plus HostConfig).
    Result<Created> create(std::string_view name, const Json& body);
    Result<void> start(std::string_view ref);
    Result<void> stop(std::string_view ref, const StopOptions& options);
    Result<void> restart(std::string_view ref, const StopOptions& options);
    Result<void> kill(std::string_view ref, std::string_view signal);
    Result<void> pause(std::string_view ref);
    Result<void> unpause(std::string_view ref);
    // Blocks until the condition holds. `registered` is called once the wait is in place (the
    // API sends its response headers then, so a client may start the container safely).
    Result<WaitResult> wait(std::string_view ref, WaitCondition condition,
                            const std::function<void()>& registered);
    Result<void> remove(std::string_view ref, bool force, bool volumes);
    Result<void> rename(std::string_view ref, std::string_view new_name);
    // docker update: `body` is docker's UpdateConfig (container_update.h); returns dockerd's
    // warnings for what this host cannot do.
    Result<std::vector<std::string>> update(std::string_view ref, const Json& body);
    // docker commit: the container's changes as a new image layer on its image; returns the new
    // image's ID.
    Result<std::string> commit(std::string_view ref, const CommitOptions& options);
    Result<Json> inspect(std::string_view ref, bool size);
    Result<std::vector<Json>> list(const ListOptions& options);
    struct PruneReport {
        std::vector<std::string> deleted;
        uint64_t space_reclaimed = 0;
    };
    Result<PruneReport> prune(const std::map<std::string, std::vector<std::string>>& filters);

    // Streams the container's stdio over `connection` (docker attach). Before the container
    // runs, the connection waits and is handed to its monitor at start.
    // `take_connection` hijacks the client's connection (answering 101); it runs under the
    // container's operation lock, so a start the client sends on seeing the 101 cannot overtake
    // the attach and lose the first output.
    Result<void> attach(std::string_view ref, const monitor::AttachRequest& request,
                        const std::function<Result<ClientStream>()>& take_connection);
    Result<void> resize(std::string_view ref, int height, int width);

    // What the logs route needs: the log file, and whether the container can still write.
    struct LogSource {
        std::string id;
        std::string path;
        int max_file = 1;
        bool tty = false;
        bool running = false;
    };
    Result<LogSource> log_source(std::string_view ref);
    // An eventfd that becomes readable when the container stops (now, if it is not running).
    Result<UniqueFd> stopped_signal(std::string_view id);

    // The container's snapshot paths for changes/archive/export; mounts the root file system if
    // the container is not running (the guard unmounts it again).
    struct RootfsView {
        std::string rootfs;
        std::string upper_dir;
        std::vector<std::string> lower_dirs;  // top first
        std::string bundle_dir;               // holds the runtime spec (config.json) once started
        std::shared_ptr<void> guard;
    };
    Result<RootfsView> rootfs_view(std::string_view ref);
    // The running container's processes (top: publishes its event) and its runtime stats
    // (stats).
    Result<std::vector<pid_t>> pids(std::string_view ref);
    Result<Json> runtime_stats(std::string_view ref);
    Result<Container> find(std::string_view ref);
    // Publishes what the API did with a container's files, as docker names it ("export",
    // "archive-path", "extract-to-dir"), with the container's attributes.
    void publish_file_event(const Container& container, std::string action) {
        publish(container, std::move(action));
    }

    // --- exec ---
    Result<std::string> exec_create(std::string_view ref, const Json& body);
    // Runs the exec. With a connection, its stdio streams over it and the call returns when the
    // process exits; detached (no connection), it returns once the process runs.
    Result<void> exec_start(std::string_view exec_id, ClientStream connection, bool detach);
    Result<Json> exec_inspect(std::string_view exec_id);
    Result<void> exec_resize(std::string_view exec_id, int height, int width);

    // Daemon shutdown: blocked waits return, log followers stop. Containers keep running.
    void shutdown();

    size_t running_count();
    std::vector<std::string> image_ids_in_use();
    const oci_runtime::RuntimeRegistry& runtimes() const { return runtimes_; }

  private:
    struct Entry;
    struct ExecEntry;
    Engine(EngineOptions options, image::ImageService& images, EventBus& events,
           ContainerStore store);

    Result<std::shared_ptr<Entry>> resolve(std::string_view ref);
    Result<void> recover();
    // reconcile.cpp: at start, each record against the files and processes the crash left,
    // before exits and restarts are settled. Each repair is one line in the log.
    void reconcile_unrecorded_dirs(const std::set<std::string>& damaged);
    void adopt_or_clean_unrecorded(const std::string& id);
    // false when the container was removed (its files were gone).
    bool reconcile_entry(const std::shared_ptr<Entry>& entry, const std::set<std::string>& active);
    void settle_stray_run(const std::shared_ptr<Entry>& entry);
    Result<void> start_locked(const std::shared_ptr<Entry>& entry);
    // publish_stop: a "stop" event at the end (docker stop and restart; not rm -f).
    Result<void> stop_locked(const std::shared_ptr<Entry>& entry, const StopOptions& options,
                             bool publish_stop = true);
    Result<void> pause_locked(const std::shared_ptr<Entry>& entry);
    Result<void> unpause_locked(const std::shared_ptr<Entry>& entry);
    void on_exit(const std::string& id, monitor::ExitRecord record);
    void on_monitor_lost(const std::string& id, const std::string& dir);
    void on_monitor_gone(const std::string& id);
    // What a monitor reported besides the exit ("detach"): published as docker does.
    void on_monitor_event(const std::string& id, const std::string& action);
    // The exit of a container whose monitor (in `dir`) is gone without reporting one: what the
    // monitor left running is killed and deleted through the runtime first (lost_monitor.cpp).
    monitor::ExitRecord reap_lost_container(const std::string& id, const std::string& dir);
    // The exit of an exec whose monitor is gone without reporting one: its process, which would
    // run on unwatched until its container stops, is killed first (lost_monitor.cpp).
    monitor::ExitRecord reap_lost_exec(const std::string& exec_id);
    // Deletes what the runtime still holds of container `id` (processes, state, cgroups), as
    // `delete --force` does; false when it held nothing.
    bool remove_runtime_leftovers(const oci_runtime::OciRuntimeConfig& runtime,
                                  const std::string& id);
    // The runtime a monitor was started with (its monitor.json in `dir`).
    oci_runtime::OciRuntimeConfig runtime_of_monitor(const std::string& dir) const;
    void on_exec_exit(const std::string& exec_id, monitor::ExitRecord record);
    void schedule_restart(const std::shared_ptr<Entry>& entry, std::chrono::milliseconds delay);
    Result<void> remove_locked(const std::shared_ptr<Entry>& entry);
    // Where a removal renamed a container's files to ("" = not moved), to undo it when the
    // record cannot be deleted (a full disk): a failed removal leaves the container as it was.
    struct MovedAside {
        std::string snapshot, container_dir, monitor_dir;
    };
    void put_back_moved(const std::string& id, const MovedAside& moved);
    // Makes the database's space reserve again after a removal; tried again a few times.
    void restore_space_reserve(int attempts_left);
    // The record is gone: forget the entry and wake whoever waits on it (under mutex_).
    void mark_removed(Entry& entry);
    // Saves a container's record. persist flushes it to disk (the container's config, names,
    // manually stopped...); persist_run_state does not, for what a power cut or kernel crash
    // makes moot anyway: every container has stopped then, whatever the store says, and the
    // recovery settles the rest. Nothing of an AutoRemove container is flushed: one found not
    // running at start-up is removed (as dockerd does). A removal's and a stop's records may
    // spend the database's space reserve on a full disk (store/database.h).
    Result<void> persist(const Container& container,
                         store::ReserveUse reserve_use = store::ReserveUse::Never);
    Result<void> persist_run_state(const Container& container);
    void publish(const Container& container, std::string action, Json extra = Json::object());
    Result<std::vector<std::string>> lower_dirs_of(const Container& container);
    Result<void> mount_rootfs(const Container& container);
    void unmount_rootfs(const Container& container);
    void release_running(Entry& entry);
    Result<void> write_bundle(const Container& container,
                              const oci_runtime::OciRuntimeConfig& runtime);
    std::string container_dir(const std::string& id) const;
    std::string monitor_dir(const std::string& id) const;
    std::string rootfs_dir(const std::string& id) const;
    std::string log_path(const std::string& id) const;
    // The runtime of the container's current run (kill, pause, stats, top, exec).
    std::unique_ptr<oci_runtime::OciRuntime> runtime_of(const Entry& entry);
    void schedule_health_check(const std::shared_ptr<Entry>& entry, bool first);
    void run_health_check(const std::string& id);
    void on_health_result(const std::string& id, uint64_t generation, monitor::ExitRecord record,
                          std::string started_at);

    EngineOptions options_;
    oci_runtime::RuntimeRegistry runtimes_;
    Logger log_;  // the runtime library's warnings (stderr)
    void warn(const std::string& message) const;
    image::ImageService& images_;
    EventBus& events_;
    std::mutex mutex_;  // guards entries_, store_, execs_ and every Entry's container/state
    std::condition_variable changed_;
    ContainerStore store_;
    std::map<std::string, std::shared_ptr<Entry>> entries_;
    std::map<std::string, std::shared_ptr<ExecEntry>> execs_;
    bool shutting_down_ = false;
    MonitorBinary monitor_binary_;  // berth-monitor, run from a protected copy
    MonitorZygote zygote_;          // forks the container monitors
    Janitor janitor_;               // unmounts and deletes what removals moved aside
    spec::DefaultSeccompProfiles default_seccomp_;
    MonitorWatcher watcher_;
    Scheduler scheduler_;  // restart back-offs and health checks
};

}  // namespace berth::engine
