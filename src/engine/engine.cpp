#include "engine/engine.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/fs.h"
#include "base/mountinfo.h"
#include "engine/data_root_check.h"
#include "engine/engine_entry.h"
#include "engine/names.h"
#include "engine/record_file.h"
#include "engine/start_error.h"
#include "engine/working_dir.h"
#include "logs/json_log_writer.h"
#include "spec/container_spec.h"
#include "spec/image_defaults.h"
#include "spec/network_files.h"
#include "spec/spec_parts.h"

namespace berth::engine {
namespace {

constexpr int kMaxRestartDelayMs = 60 * 1000;
constexpr auto kResetBackoffAfter = std::chrono::seconds(10);
// A monitor zygote with nothing to start for this long ends (MonitorZygote::stop_if_idle).
constexpr auto kZygoteIdleTimeout = std::chrono::seconds(30);
// How long a start waits for the last run's monitor to finish removing the runtime's state.
constexpr auto kMonitorCleanupTimeout = std::chrono::seconds(10);
constexpr const char* kExternalOciVersion = "1.0.2";

Error no_such_container(std::string_view ref) {
    return Error(ErrorKind::NotFound, "No such container: " + std::string(ref));
}

bool is_running(RunState s) {
    return s == RunState::Running || s == RunState::Paused;
}

// HostConfig.Runtime; empty when unset (the default runtime).
std::string runtime_name_of(const Json& host_config) {
    auto it = host_config.find("Runtime");
    return it != host_config.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string short_id(const std::string& id) {
    return id.substr(0, 12);
}

std::string cannot_remove(const Container& c) {
    return "cannot remove container \"/" + c.name + "\"";
}

// docker's restart policy decision after an exit.
bool should_restart(const Container& c) {
    const Json& policy = c.host_config.value("RestartPolicy", Json::object());
    std::string name = policy.is_object() ? policy.value("Name", "") : "";
    if (name == "always") return !c.manually_stopped;
    if (name == "unless-stopped") return !c.manually_stopped;
    if (name == "on-failure") {
        if (c.state.exit_code == 0 || c.manually_stopped) return false;
        int max = policy.value("MaximumRetryCount", 0);
        return max == 0 || c.restart_count < max;
    }
    return false;
}

}  // namespace

Result<WaitCondition> wait_condition_from_string(std::string_view text) {
    if (text.empty() || text == "not-running") return WaitCondition::NotRunning;
    if (text == "next-exit") return WaitCondition::NextExit;
    if (text == "removed") return WaitCondition::Removed;
    return fail(ErrorKind::InvalidArgument, "invalid condition: \"" + std::string(text) + "\"");
}

Engine::Engine(EngineOptions options, image::ImageService& images, EventBus& events,
               ContainerStore store)
    : options_(std::move(options)),
      runtimes_(options_.exec_root, options_.runtimes, options_.default_runtime),
      images_(images),
      events_(events),
      store_(std::move(store)),
      monitor_binary_(options_.monitor_binary),
      zygote_(monitor_binary_, options_.exec_root),
      watcher_([this](const std::string& id,
                      monitor::ExitRecord record) { on_exit(id, std::move(record)); },
               [this](const std::string& id, const std::string& dir) { on_monitor_lost(id, dir); },
               [this](const std::string& id) { on_monitor_gone(id); },
               [this](const std::string& id, const std::string& action) {
                   on_monitor_event(id, action);
               }) {}

namespace {

// Moves `dir` into <base>/trash (as <name>-<stamp>) with one rename and returns its new path
// ("" when there was nothing to move). Engine::open empties the trash a crash left behind.
Result<std::string> move_to_trash(const std::string& dir, const std::string& base,
                                  const std::string& name) {
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    std::string doomed = join_path(join_path(base, "trash"), name + "-" + std::to_string(stamp));
    if (::rename(dir.c_str(), doomed.c_str()) != 0) {
        if (errno == ENOENT) return std::string();
        return fail_errno("remove " + dir);
    }
    return doomed;
}

}  // namespace

Engine::~Engine() {
    images_.set_usage_probe(nullptr);
    // While the scheduler still takes what they schedule (the space reserve's retries).
    janitor_.drain();
    scheduler_.stop();
    watcher_.stop();
}

Result<std::unique_ptr<Engine>> Engine::open(EngineOptions options, image::ImageService& images,
                                             EventBus& events) {
    TRY(mkdir_all(join_path(options.root, "containers"), 0710));
    TRY(mkdir_all(join_path(options.exec_root, "containers"), 0700));
    // What removals moved aside and a crash kept them from unmounting and deleting. What
    // cannot go (a mount that will not) stays: removals name their entries uniquely.
    for (const auto& base : {options.root, options.exec_root}) {
        std::string trash = join_path(base, "trash");
        for (const auto& point : mount_points_under(trash).value_or(std::vector<std::string>{}))
            (void)::umount2(point.c_str(), MNT_DETACH);
        (void)remove_all(trash);
        TRY(mkdir_all(trash, 0700));
    }
    auto store = TRY(ContainerStore::open(options.root));
    std::unique_ptr<Engine> engine(
        new Engine(std::move(options), images, events, std::move(store)));
    TRY(engine->watcher_.start());
    TRY(engine->recover());
    Engine* self = engine.get();
    images.set_usage_probe([self](const Digest& image_id) -> std::optional<image::ImageUser> {
        std::lock_guard lock(self->mutex_);
        std::optional<image::ImageUser> user;
        for (auto& [id, entry] : self->entries_)
            if (entry->container.image_id == image_id.str()) {
                bool running = is_running(entry->container.state.status);
                if (!user || running) user = image::ImageUser{id, running};
            }
        return user;
    });
    return engine;
}

std::string Engine::container_dir(const std::string& id) const {
    return join_path(join_path(options_.root, "containers"), id);
}
std::string Engine::monitor_dir(const std::string& id) const {
    return join_path(join_path(options_.exec_root, "containers"), id);
}
std::string Engine::rootfs_dir(const std::string& id) const {
    return join_path(container_dir(id), "rootfs");
}
std::string Engine::log_path(const std::string& id) const {
    return join_path(container_dir(id), id + "-json.log");
}

Result<std::shared_ptr<Engine::Entry>> Engine::resolve(std::string_view ref) {
    std::string_view bare = ref.starts_with('/') ? ref.substr(1) : ref;
    if (bare.empty()) return fail(no_such_container(ref));
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(std::string(bare)); it != entries_.end()) return it->second;
    for (auto& [id, entry] : entries_)
        if (entry->container.name == bare) return entry;
    std::shared_ptr<Entry> match;
    for (auto& [id, entry] : entries_)
        if (id.starts_with(bare)) {
            if (match)
                return fail(ErrorKind::NotFound,
                            "multiple IDs found with provided prefix: " + std::string(bare));
            match = entry;
        }
    if (!match) return fail(no_such_container(ref));
    return match;
}

Result<Container> Engine::find(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    std::lock_guard lock(mutex_);
    return entry->container;
}

namespace {

// A removal, and a stop, must work on a full disk: they are how it is cured.
constexpr store::ReserveUse kFreesSpace = store::ReserveUse::WhenFull;
// How long a removal's janitor keeps trying to make the space reserve again: 5 s.
constexpr int kReserveAttempts = 20;
constexpr auto kReserveRetryDelay = std::chrono::milliseconds(250);

Durability durability_of(const Container& container) {
    return container.auto_remove() ? Durability::Volatile : Durability::Flushed;
}

}  // namespace

Result<void> Engine::persist(const Container& container, store::ReserveUse reserve_use) {
    // The directory's copy keeps what defines the container; a removal's mark lives in the
    // database alone (the directory goes with the removal).
    if (container.state.status != RunState::Removing) {
        std::string dir = container_dir(container.id);
        auto written = write_record_file(dir, container, durability_of(container));
        // A stop on a full disk: the file comes first, so it spends the space reserve first.
        if (!written && written.error().sys_errno() == ENOSPC &&
            reserve_use == store::ReserveUse::WhenFull &&
            store_.reserve().release().value_or(false))
            written = write_record_file(dir, container, durability_of(container));
        TRY(std::move(written));
    }
    return store_.update(container, durability_of(container), reserve_use);
}

Result<void> Engine::persist_run_state(const Container& container) {
    // The directory's copy follows too (not flushed), so that a rebuilt record has the last run's
    // exit; not for AutoRemove containers, whose files are gone with them (and whose start,
    // `run --rm`, is kept to the least work).
    if (container.state.status != RunState::Removing && !container.auto_remove())
        (void)write_record_file(container_dir(container.id), container, Durability::Volatile);
    return store_.update(container, Durability::Volatile);
}

void Engine::publish(const Container& c, std::string action, Json extra) {
    Event event;
    event.type = "container";
    event.action = std::move(action);
    event.id = c.id;
    Json attributes = Json::object();
    if (auto labels = c.config.find("Labels"); labels != c.config.end() && labels->is_object())
        for (auto& [key, value] : labels->items())
            if (value.is_string()) attributes[key] = value;
    attributes["image"] = c.image;
    attributes["name"] = c.name;
    for (auto& [key, value] : extra.items())
        attributes[key] = value;
    event.attributes = std::move(attributes);
    events_.publish(std::move(event));
}

Result<Engine::Created> Engine::create(std::string_view requested_name, const Json& body) {
    if (!body.is_object())
        return fail(ErrorKind::InvalidArgument,
                    "config cannot be empty in order to create a container");
    Json request = body;
    Json host_config = request.value("HostConfig", Json::object());
    if (host_config.is_null()) host_config = Json::object();
    request.erase("HostConfig");
    request.erase("NetworkingConfig");
    TRY(spec::validate_container_config(request, host_config));
    // The runtime is chosen now, for good: the default's name is recorded (inspect shows it).
    host_config["Runtime"] = TRY(runtimes_.name_for(runtime_name_of(host_config)));
    std::string image_name = request.value("Image", "");
    if (image_name.empty())
        return fail(ErrorKind::InvalidArgument, "Config.Image: an image is required");
    auto image = images_.resolve(image_name);
    if (!image) {
        if (image.error().kind() == ErrorKind::NotFound)
            return fail(ErrorKind::NotFound, "No such image: " + image_name);
        return fail(std::move(image).error());
    }
    auto image_config = TRY(images_.config_of(*image));
    Json merged = TRY(spec::merge_image_config(request, image_config.raw.value("config", Json())));
    if (command_of(merged).empty()) return fail(ErrorKind::InvalidArgument, "No command specified");

    Container c;
    c.id = random_id();
    c.created = rfc3339_now();
    c.image = image_name;
    c.image_id = image->id.str();
    c.config = std::move(merged);
    // The docker CLI sends LogConfig {"Type": "", "Config": {--log-opt…}}: the daemon's driver
    // with the container's options, or the daemon's options when it gave none.
    Json log_config = host_config.value("LogConfig", Json::object());
    if (!log_config.is_object()) log_config = Json::object();
    if (log_config.value("Type", "").empty()) log_config["Type"] = "json-file";
    const Json given = log_config.value("Config", Json::object());
    if (!given.is_object() || given.empty()) log_config["Config"] = options_.default_log_opts;
    host_config["LogConfig"] = log_config;
    if (!host_config.contains("RestartPolicy") || !host_config["RestartPolicy"].is_object())
        host_config["RestartPolicy"] = {{"Name", "no"}, {"MaximumRetryCount", 0}};
    if (host_config.value("NetworkMode", "").empty()) host_config["NetworkMode"] = "default";
    c.host_config = spec::complete_host_config(host_config);
    std::vector<std::string> warnings =
        spec::discard_unsupported_resources(c.host_config, "/sys/fs/cgroup");
    // The log options are checked now, so that a bad one fails the create, not the start.
    std::string log_type = c.host_config["LogConfig"].value("Type", "json-file");
    if (log_type != "json-file" && log_type != "none")
        return fail(ErrorKind::InvalidArgument,
                    "logger: no log driver named '" + log_type + "' is registered");
    if (log_type == "json-file") {
        std::map<std::string, std::string> opts;
        // A named copy: iterating items() of value()'s temporary would dangle.
        const Json log_opts = c.host_config["LogConfig"].value("Config", Json::object());
        for (auto& [k, v] : log_opts.items())
            if (v.is_string()) opts[k] = v.get<std::string>();
        TRY(logs::parse_json_log_options(opts));
    }

    if (requested_name.empty()) {
        std::lock_guard lock(mutex_);
        c.name = generate_container_name([&](const std::string& name) {
            return std::any_of(entries_.begin(), entries_.end(),
                               [&](const auto& e) { return e.second->container.name == name; });
        });
    } else {
        c.name = TRY(validate_container_name(requested_name));
    }

    TRY(mkdir_all(container_dir(c.id), 0710));
    failpoint("create.after-dir");
    auto cleanup_dir = [&] { (void)remove_all(container_dir(c.id)); };
    if (auto prepared = images_.snapshotter().prepare_active(c.id); !prepared) {
        cleanup_dir();
        return fail(std::move(prepared).error());
    }
    failpoint("create.after-snapshot");
    // Before the record: a directory without one is either empty (a create cut short, removed
    // at the next start) or holds what rebuilds it (reconcile.cpp).
    if (auto written = write_record_file(container_dir(c.id), c, durability_of(c)); !written) {
        (void)images_.snapshotter().remove_active(c.id);
        cleanup_dir();
        return fail(std::move(written).error());
    }
    failpoint("create.after-record-file");
    auto entry = std::make_shared<Entry>();
    entry->container = c;
    {
        std::lock_guard lock(mutex_);
        if (auto inserted = store_.insert(c, durability_of(c)); !inserted) {
            (void)images_.snapshotter().remove_active(c.id);
            cleanup_dir();
            return fail(std::move(inserted).error());
        }
        entries_[c.id] = entry;
    }
    failpoint("create.after-record");
    publish(c, "create");
    return Created{c.id, std::move(warnings)};
}

Result<void> Engine::mount_rootfs(const Container& c) {
    auto image = TRY(images_.resolve(c.image_id));
    auto chain = TRY(images_.layer_chain(image));
    std::string target = rootfs_dir(c.id);
    TRY(mkdir_all(target, 0755));
    // A container removed at its exit never mounts its writable layer again.
    return images_.snapshotter().mount(chain, c.id, target, c.auto_remove());
}

void Engine::unmount_rootfs(const Container& c) {
    (void)image::unmount_rootfs(rootfs_dir(c.id));
}

Result<void> Engine::write_bundle(const Container& c,
                                  const oci_runtime::OciRuntimeConfig& runtime) {
    std::string dir = container_dir(c.id);
    TRY(spec::write_network_files(dir, c.config, c.host_config, c.id));
    spec::SpecContext context;
    context.container_id = c.id;
    context.rootfs = rootfs_dir(c.id);
    context.container_dir = dir;
    context.init_binary = options_.init_binary;
    context.cgroup_parent = options_.cgroup_parent;
    context.default_seccomp = &default_seccomp_;
    Json runtime_spec = TRY(spec::build_runtime_spec(
        c.config, spec::merge_default_ulimits(c.host_config, options_.default_ulimits), context));
    // Runtimes check the version before anything else and older ones know no later one (crun
    // 1.8 refuses 1.2.0); the fields are read alike whatever it says. docker 20-24 wrote 1.0.2.
    if (!runtime.builtin()) runtime_spec["ociVersion"] = kExternalOciVersion;
    // Not fsynced: it is made anew at every start, and the runtime keeps its own copy of what a
    // running container needs.
    return write_file_atomic(join_path(dir, "config.json"), runtime_spec.dump(), 0600,
                             Durability::Volatile);
}

Result<void> Engine::start(std::string_view ref) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    auto started = start_locked(entry);
    bool auto_remove;
    {
        std::lock_guard lock(mutex_);
        auto_remove = entry->container.auto_remove();
    }
    // docker removes an AutoRemove container whose start failed (`run --rm` waits for that).
    if (!started && started.error().kind() != ErrorKind::AlreadyExists && auto_remove)
        (void)remove_locked(entry);
    return started;
}

Result<void> Engine::start_locked(const std::shared_ptr<Entry>& entry) {
    Container c;
    std::vector<std::pair<UniqueFd, monitor::AttachRequest>> attaches;
    {
        std::lock_guard lock(mutex_);
        if (entry->removed) return fail(no_such_container(entry->container.id));
        if (entry->container.state.status == RunState::Paused)
            return fail(ErrorKind::Conflict,
                        "cannot start a paused container, try unpause instead");
        if (is_running(entry->container.state.status))
            return fail(ErrorKind::AlreadyExists, "container already started");
        // dockerd's words for a dead container (its files are missing: reconcile.cpp).
        if (entry->container.state.status == RunState::Dead)
            return fail(ErrorKind::Conflict,
                        "container is marked for removal and cannot be started");
        if (entry->restart_token) {
            scheduler_.cancel(entry->restart_token);
            entry->restart_token = 0;
        }
        c = entry->container;
        attaches = std::move(entry->pending_attaches);
    }
    {
        // The last run's monitor may still be removing its runtime state and cgroups.
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, kMonitorCleanupTimeout,
                               [&] { return !entry->monitor_running; }))
            return fail(ErrorKind::Conflict, "the monitor of container " + short_id(c.id) +
                                                 "'s last run has not finished its cleanup");
    }
    std::string dir = monitor_dir(c.id);
    auto fail_start = [&](Error error) -> Result<void> {
        std::lock_guard lock(mutex_);
        unmount_rootfs(c);
        entry->rootfs_mounted = false;
        auto& state = entry->container.state;
        state.error = error.message();
        state.exit_code = start_error_exit_code(state.error);
        if (entry->container.has_been_started) state.status = RunState::Exited;
        (void)persist_run_state(entry->container);
        return fail(
            ErrorKind::InvalidArgument,
            std::move(error).context("failed to start container " + short_id(c.id)).message());
    };

    // A runtime daemon.json no longer registers cannot start the container (as with docker).
    auto runtime = runtimes_.resolve(runtime_name_of(c.host_config));
    if (!runtime) return fail_start(std::move(runtime).error());
    TRY(remove_all(dir));
    TRY(mkdir_all(dir, 0700));
    TRY(mkdir_all(runtime->root, 0700));
    if (auto mounted = mount_rootfs(c); !mounted) return fail_start(std::move(mounted).error());
    entry->rootfs_mounted = true;
    if (auto made = ensure_working_dir(rootfs_dir(c.id), c.config.value("WorkingDir", "")); !made)
        return fail_start(std::move(made).error());
    if (auto written = write_bundle(c, *runtime); !written)
        return fail_start(std::move(written).error());
    failpoint("start.after-mount");

    monitor::ContainerMonitorConfig config;
    config.id = c.id;
    config.bundle = container_dir(c.id);
    config.runtime_root = runtime->root;
    config.runtime_path = runtime->path;
    config.runtime_args = runtime->args;
    const Json& log_config = c.host_config["LogConfig"];
    if (log_config.value("Type", "json-file") == "json-file") {
        config.log_path = log_path(c.id);
        std::map<std::string, std::string> opts;
        const Json log_opts = log_config.value("Config", Json::object());
        for (auto& [k, v] : log_opts.items())
            if (v.is_string()) opts[k] = v.get<std::string>();
        auto parsed = TRY(logs::parse_json_log_options(opts));
        config.log_max_size = parsed.max_size;
        config.log_max_file = parsed.max_file;
    }
    config.tty = c.config.value("Tty", false);
    config.open_stdin = c.config.value("OpenStdin", false);
    config.stdin_once = c.config.value("StdinOnce", false);
    std::vector<int> inherited;
    for (auto& [fd, request] : attaches) {
        request.fd = monitor::kFirstInheritedFd + static_cast<int>(inherited.size());
        config.attaches.push_back(request);
        inherited.push_back(fd.get());
    }
    if (auto written = write_file(join_path(dir, "monitor.json"), to_json(config).dump(), 0600);
        !written)
        return fail_start(std::move(written).error());
    auto spawned = spawn_monitor(monitor_binary_, "container", dir, inherited, &zygote_);
    scheduler_.schedule(kZygoteIdleTimeout, [this] { zygote_.stop_if_idle(kZygoteIdleTimeout); });
    attaches.clear();  // the monitor has its own copies now
    if (!spawned) {
        // A monitor that died half-way may leave what it had started.
        (void)remove_runtime_leftovers(*runtime, c.id);
        return fail_start(std::move(spawned).error());
    }
    failpoint("start.after-runtime-create");

    {
        std::lock_guard lock(mutex_);
        auto& state = entry->container.state;
        state.status = RunState::Running;
        state.pid = spawned->pid;
        state.error.clear();
        state.exit_code = 0;
        state.oom_killed = false;
        state.started_at = rfc3339_now();
        state.finished_at = kZeroTime;
        entry->container.has_been_started = true;
        entry->monitor_running = true;
        entry->runtime = *runtime;
        entry->started = std::chrono::steady_clock::now();
        entry->run_generation++;
        (void)persist_run_state(entry->container);
        c = entry->container;
        // Before the exit can be watched: a container that ends at once still starts first.
        publish(c, "start");
    }
    failpoint("start.after-record");
    TRY(watcher_.watch(c.id, std::move(spawned->status), std::move(spawned->pending), dir));
    schedule_health_check(entry, true);
    return {};
}

void Engine::on_monitor_event(const std::string& id, const std::string& action) {
    // Only what docker publishes for a container: a client that detached with the detach keys.
    if (action != "detach" || id.starts_with("exec:")) return;
    if (auto c = find(id)) publish(*c, action);
}

void Engine::on_exit(const std::string& id, monitor::ExitRecord record) {
    if (id.starts_with("exec:")) {
        on_exec_exit(id.substr(5), std::move(record));
        return;
    }
    std::shared_ptr<Entry> entry;
    Container c;
    bool restart = false, auto_remove = false;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        entry = it->second;
        auto& state = entry->container.state;
        state.status = RunState::Exited;
        state.pid = 0;
        state.exit_code = record.exit_code;
        state.oom_killed = record.oom_killed;
        state.error = record.error;
        state.finished_at = record.finished_at.empty() ? rfc3339_now() : record.finished_at;
        if (entry->health_token) scheduler_.cancel(entry->health_token);
        entry->health_token = 0;
        if (state.health.is_object()) state.health["Status"] = "unhealthy";
        entry->exit_generation++;
        for (auto& fd : entry->stop_signals) {
            uint64_t one = 1;
            (void)!::write(fd.get(), &one, sizeof one);
        }
        entry->stop_signals.clear();
        restart = should_restart(entry->container);
        auto_remove = !restart && entry->container.auto_remove();
        if (restart) {
            state.status = RunState::Restarting;
            auto ran_for = std::chrono::steady_clock::now() - entry->started;
            entry->restart_delay_ms =
                ran_for >= kResetBackoffAfter
                    ? 100
                    : std::min(std::max(entry->restart_delay_ms * 2, 100), kMaxRestartDelayMs);
        }
        // An AutoRemove container's record goes in a moment: should we crash before, the
        // recovery finds its exit in exit.json again.
        if (!auto_remove) (void)persist_run_state(entry->container);
        c = entry->container;
        // Published with the exit, before anyone waiting for it (a stop) can publish what
        // follows: dockerd's order is oom, die, stop.
        if (record.oom_killed) publish(c, "oom");
        publish(c, "die", {{"exitCode", std::to_string(record.exit_code)}});
    }
    // (An AutoRemove container's rootfs and monitor dir go with the rest of it, below.)
    if (!auto_remove) {
        unmount_rootfs(c);
        entry->rootfs_mounted = false;
    }
    if (!restart && !auto_remove) (void)remove_all(monitor_dir(id));
    changed_.notify_all();
    if (restart) {
        schedule_restart(entry, std::chrono::milliseconds(entry->restart_delay_ms));
    } else if (auto_remove) {
        std::lock_guard op(entry->op);
        (void)remove_locked(entry);
    }
}

void Engine::schedule_restart(const std::shared_ptr<Entry>& entry,
                              std::chrono::milliseconds delay) {
    std::weak_ptr<Entry> weak = entry;
    std::lock_guard lock(mutex_);
    entry->restart_token = scheduler_.schedule(delay, [this, weak] {
        auto entry = weak.lock();
        if (!entry) return;
        // A start from the scheduler must not wait behind a stop holding the lock.
        std::unique_lock op(entry->op, std::try_to_lock);
        if (!op) return;
        {
            std::lock_guard lock(mutex_);
            entry->restart_token = 0;
            if (entry->removed || entry->container.state.status != RunState::Restarting ||
                entry->container.manually_stopped)
                return;
            entry->container.restart_count++;
        }
        if (auto started = start_locked(entry); !started) {
            std::lock_guard lock(mutex_);
            entry->container.state.status = RunState::Exited;
            (void)persist(entry->container);
        }
    });
}

Result<WaitResult> Engine::wait(std::string_view ref, WaitCondition condition,
                                const std::function<void()>& registered) {
    auto entry = TRY(resolve(ref));
    std::unique_lock lock(mutex_);
    uint64_t generation = entry->exit_generation;
    auto result = [&] {
        // As dockerd: a removal clears the error, so `run --rm` of a container that failed to
        // start reports that failure once (the start's), not again as a failed wait.
        return WaitResult{entry->container.state.exit_code,
                          entry->removed ? "" : entry->container.state.error};
    };
    if (condition == WaitCondition::NotRunning && !is_running(entry->container.state.status) &&
        entry->container.state.status != RunState::Restarting) {
        lock.unlock();
        registered();
        lock.lock();
        return result();
    }
    lock.unlock();
    registered();
    lock.lock();
    changed_.wait(lock, [&] {
        if (entry->removed || shutting_down_) return true;
        if (condition == WaitCondition::Removed) return false;
        return entry->exit_generation != generation;
    });
    if (shutting_down_ && !entry->removed && entry->exit_generation == generation &&
        condition != WaitCondition::NotRunning)
        return fail(ErrorKind::Unavailable, "the daemon is shutting down");
    return result();
}

Result<void> Engine::remove(std::string_view ref, bool force, bool /*volumes*/) {
    auto entry = TRY(resolve(ref));
    std::unique_lock op(entry->op);
    {
        std::lock_guard lock(mutex_);
        auto& c = entry->container;
        if (c.state.status == RunState::Paused && !force)
            return fail(ErrorKind::Conflict,
                        "cannot remove container \"/" + c.name +
                            "\": container is paused and must be unpaused first");
        if (is_running(c.state.status) && !force)
            return fail(ErrorKind::Conflict,
                        "cannot remove container \"/" + c.name +
                            "\": container is running: stop the container before removing or "
                            "force remove");
    }
    if (force) {
        // As dockerd's rm -f: SIGKILL alone.
        StopOptions kill_now;
        kill_now.timeout = 0;
        kill_now.signal = "SIGKILL";
        if (auto stopped = stop_locked(entry, kill_now, false);
            !stopped && stopped.error().kind() != ErrorKind::AlreadyExists)
            return stopped;
    }
    return remove_locked(entry);
}

Result<void> Engine::remove_locked(const std::shared_ptr<Entry>& entry) {
    Container c;
    RunState before;
    {
        std::lock_guard lock(mutex_);
        if (entry->removed) return {};
        before = entry->container.state.status;
        entry->container.state.status = RunState::Removing;
        // Recorded before anything moves: a crash from here on has the next start finish the
        // removal (recover), so no record outlives its files. AutoRemove containers need no
        // mark: the start removes every one it finds not running.
        if (!entry->container.auto_remove())
            if (auto marked = persist(entry->container, kFreesSpace); !marked) {
                entry->container.state.status = before;
                return fail(std::move(marked).error().context(cannot_remove(entry->container)));
            }
        if (entry->restart_token) scheduler_.cancel(entry->restart_token);
        if (entry->health_token) scheduler_.cancel(entry->health_token);
        c = entry->container;
    }
    failpoint("rm.after-mark-removing");
    // Moved aside (renames; the rootfs stays mounted in the container's dir) first, unmounted
    // and deleted once the waiters know: `run --rm` waits for the removal, an unmount can wait
    // for the container's mount namespace to go, and deleting a container's files is several
    // ms of file system metadata writes.
    MovedAside moved;
    auto put_back = [&](Error error) -> Result<void> {
        put_back_moved(c.id, moved);
        std::lock_guard lock(mutex_);
        entry->container.state.status = before;
        if (!c.auto_remove()) (void)persist(entry->container, kFreesSpace);
        return fail(std::move(error).context(cannot_remove(c)));
    };
    auto snapshot = images_.snapshotter().retire_active(c.id);
    if (!snapshot) return put_back(std::move(snapshot).error());
    moved.snapshot = *snapshot;
    failpoint("rm.after-snapshot-retire");
    auto container_files = move_to_trash(container_dir(c.id), options_.root, c.id);
    if (!container_files) return put_back(std::move(container_files).error());
    moved.container_dir = *container_files;
    moved.monitor_dir = move_to_trash(monitor_dir(c.id), options_.exec_root, c.id).value_or("");
    failpoint("rm.after-dir-move");
    Result<void> removed;
    {
        std::lock_guard lock(mutex_);
        removed = store_.remove(c.id, durability_of(c));
        if (removed) mark_removed(*entry);
    }
    if (!removed) return put_back(std::move(removed).error());
    failpoint("rm.after-record-delete");
    changed_.notify_all();
    publish(c, "destroy");
    janitor_.post([this, moved] {
        // Not mounted (never started, or unmounted at its exit) fails harmlessly.
        if (!moved.container_dir.empty())
            (void)image::unmount_rootfs(join_path(moved.container_dir, "rootfs"));
        for (const auto& dir : {moved.snapshot, moved.container_dir, moved.monitor_dir})
            if (!dir.empty()) (void)remove_all(dir);
        // A removal on a full disk spent it; the room it freed makes it again.
        restore_space_reserve(kReserveAttempts);
    });
    return {};
}

void Engine::restore_space_reserve(int attempts_left) {
    // The files of a container are freed only once its overlay mount goes with its last
    // process, a moment after they are deleted: a reserve that does not fit yet is tried again.
    if (store_.reserve().restore() || attempts_left <= 1) return;
    scheduler_.schedule(kReserveRetryDelay,
                        [this, attempts_left] { restore_space_reserve(attempts_left - 1); });
}

void Engine::mark_removed(Entry& entry) {
    entry.removed = true;
    entries_.erase(entry.container.id);
    for (const auto& exec_id : entry.exec_ids)
        execs_.erase(exec_id);
    entry.pending_attaches.clear();
    for (auto& fd : entry.stop_signals) {
        uint64_t one = 1;
        (void)!::write(fd.get(), &one, sizeof one);
    }
    entry.stop_signals.clear();
}

void Engine::put_back_moved(const std::string& id, const MovedAside& moved) {
    auto rename_back = [](const std::string& from, const std::string& to) {
        if (!from.empty()) (void)::rename(from.c_str(), to.c_str());
    };
    rename_back(moved.monitor_dir, monitor_dir(id));
    rename_back(moved.container_dir, container_dir(id));
    if (!moved.snapshot.empty()) (void)images_.snapshotter().unretire_active(id, moved.snapshot);
}

Result<void> Engine::rename(std::string_view ref, std::string_view new_name) {
    auto entry = TRY(resolve(ref));
    std::string name = TRY(validate_container_name(new_name));
    std::lock_guard lock(mutex_);
    auto& c = entry->container;
    if (c.name == name)
        return fail(ErrorKind::InvalidArgument,
                    "Renaming a container with the same name as its current name");
    for (auto& [id, other] : entries_)
        if (other->container.name == name)
            return fail(ErrorKind::Conflict,
                        "Conflict. The container name \"/" + name +
                            "\" is already in use by container \"" + id +
                            "\". You have to remove (or rename) that container to be able to "
                            "reuse that name.");
    std::string old = c.name;
    c.name = name;
    if (auto saved = persist(c); !saved) {
        c.name = old;
        return saved;
    }
    publish(c, "rename", {{"oldName", "/" + old}});
    return {};
}

Result<void> Engine::attach(std::string_view ref, const monitor::AttachRequest& request,
                            const std::function<Result<ClientStream>()>& take_connection) {
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    ClientStream connection = TRY(take_connection());
    monitor::AttachRequest attach = request;
    attach.input = std::move(connection.input);
    std::string id;
    {
        std::lock_guard lock(mutex_);
        publish(entry->container, "attach");
        if (!is_running(entry->container.state.status)) {
            entry->pending_attaches.emplace_back(std::move(connection.fd), std::move(attach));
            return {};
        }
        id = entry->container.id;
    }
    Json message = to_json(attach);
    message["op"] = "attach";
    return monitor::request(join_path(monitor_dir(id), "monitor.sock"), message,
                            connection.fd.get());
}

Result<void> Engine::resize(std::string_view ref, int height, int width) {
    auto entry = TRY(resolve(ref));
    std::string id;
    {
        std::lock_guard lock(mutex_);
        if (!is_running(entry->container.state.status))
            return fail(ErrorKind::Conflict,
                        "Container " + entry->container.id + " is not running");
        id = entry->container.id;
    }
    TRY(monitor::request(join_path(monitor_dir(id), "monitor.sock"),
                         {{"op", "resize"}, {"height", height}, {"width", width}}));
    publish(TRY(find(id)), "resize",
            {{"height", std::to_string(height)}, {"width", std::to_string(width)}});
    return {};
}

Result<UniqueFd> Engine::stopped_signal(std::string_view id) {
    auto entry = TRY(resolve(id));
    UniqueFd fd(::eventfd(0, EFD_CLOEXEC));
    if (!fd.valid()) return fail_errno("eventfd");
    std::lock_guard lock(mutex_);
    if (!is_running(entry->container.state.status) || entry->removed) {
        uint64_t one = 1;
        (void)!::write(fd.get(), &one, sizeof one);
        return fd;
    }
    int copy = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return fail_errno("dup");
    entry->stop_signals.emplace_back(copy);
    return fd;
}

Result<void> Engine::recover() {
    std::set<std::string> damaged;
    auto containers = TRY(store_.load_all([&](const std::string& id, const Error& error) {
        warn("container " + id + ": its record in metadata.db is damaged (" + error.message() +
             "): skipped");
        damaged.insert(id);
    }));
    std::vector<std::shared_ptr<Entry>> to_restart;
    {
        std::lock_guard lock(mutex_);
        for (auto& c : containers) {
            auto entry = std::make_shared<Entry>();
            entry->container = std::move(c);
            entries_[entry->container.id] = entry;
        }
    }
    reconcile_unrecorded_dirs(damaged);
    std::vector<std::shared_ptr<Entry>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, entry] : entries_)
            all.push_back(entry);
    }
    auto listed = images_.snapshotter().list_active();
    std::set<std::string> active;
    if (listed) active.insert(listed->begin(), listed->end());
    if (listed)
        std::erase_if(all, [&](const auto& entry) { return !reconcile_entry(entry, active); });
    else
        warn("snapshots cannot be listed (" + listed.error().message() +
             "): the containers' files are not checked");
    // Exits recorded here may remove containers (AutoRemove) from entries_ as we go.
    for (auto& entry : all) {
        const std::string id = entry->container.id;
        auto status = entry->container.state.status;
        if (is_running(status)) {
            std::string dir = monitor_dir(id);
            if (auto sock = connect_monitor(dir)) {
                // The run goes on with the runtime its monitor was started with.
                entry->runtime = runtime_of_monitor(dir);
                entry->rootfs_mounted = true;
                entry->monitor_running = true;
                entry->started = std::chrono::steady_clock::now();
                entry->run_generation++;
                TRY(watcher_.watch(id, std::move(*sock), "", dir));
                continue;
            }
            // No monitor: it recorded the exit in exit.json while we were away, or it died and
            // left the container running unwatched.
            on_exit(id, reap_lost_container(id, dir));
        } else if (status == RunState::Restarting) {
            to_restart.push_back(entry);
        } else if (status == RunState::Removing || entry->container.auto_remove()) {
            // dockerd too removes the AutoRemove containers it finds not running.
            std::lock_guard op(entry->op);
            (void)remove_locked(entry);
        } else if (entry->container.has_been_started && should_restart(entry->container) &&
                   entry->container.host_config.value("RestartPolicy", Json::object())
                           .value("Name", "") != "on-failure") {
            // docker starts always/unless-stopped containers when the daemon starts.
            to_restart.push_back(entry);
        }
    }
    for (auto& entry : to_restart) {
        {
            std::lock_guard lock(mutex_);
            entry->container.state.status = RunState::Restarting;
        }
        schedule_restart(entry, std::chrono::milliseconds(0));
    }
    return {};
}

void Engine::shutdown() {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    for (auto& [id, entry] : entries_) {
        for (auto& fd : entry->stop_signals) {
            uint64_t one = 1;
            (void)!::write(fd.get(), &one, sizeof one);
        }
        entry->stop_signals.clear();
    }
    changed_.notify_all();
}

size_t Engine::running_count() {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& e) {
        return is_running(e.second->container.state.status);
    }));
}

std::vector<std::string> Engine::image_ids_in_use() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    ids.reserve(entries_.size());
    for (auto& [id, entry] : entries_)
        ids.push_back(entry->container.image_id);
    return ids;
}

}  // namespace berth::engine
