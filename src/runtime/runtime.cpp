#include "runtime/runtime.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/child_process.h"
#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/cgroups/cgroup_layout.h"
#include "runtime/cgroups/device_rules.h"
#include "runtime/container_init.h"
#include "runtime/hooks.h"
#include "runtime/namespaces.h"
#include "runtime/network_namespace.h"
#include "runtime/seccomp.h"
#include "runtime/supervisor.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

namespace {

// Entries of config.json this version does not apply: each is named in a warning, never dropped
// silently.
std::vector<std::string> unapplied_entries(const oci::Spec& spec) {
    std::vector<std::string> out;
    const auto& l = spec.linux;
    if (!l.intel_rdt.is_null()) out.push_back("linux.intelRdt is not supported");
    if (!l.personality.is_null()) out.push_back("linux.personality is not applied yet");
    if (!l.memory_policy.is_null()) out.push_back("linux.memoryPolicy is not applied yet");
    if (!l.net_devices.is_null()) out.push_back("linux.netDevices is not applied yet");
    if (!l.mount_label.empty()) out.push_back("linux.mountLabel (SELinux) is not applied");
    if (spec.process) {
        if (!spec.process->apparmor_profile.empty())
            out.push_back("process.apparmorProfile is not applied (no AppArmor support)");
        if (!spec.process->selinux_label.empty())
            out.push_back("process.selinuxLabel is not applied (no SELinux support)");
        if (!spec.process->io_priority.is_null())
            out.push_back("process.ioPriority is not applied yet");
        if (!spec.process->scheduler.is_null())
            out.push_back("process.scheduler is not applied yet");
    }
    return out;
}

Result<std::string> absolute_path(const std::string& path) {
    if (!path.empty() && path.front() == '/') return clean_path(path);
    char cwd[4096];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return fail_errno("getcwd");
    return clean_path(join_path(cwd, path));
}

Result<void> write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return {};
    auto abs = TRY(absolute_path(path));
    TRY_CTX(write_file_atomic(abs, std::to_string(pid), 0644, Durability::Volatile),
            "write pid file");
    return {};
}

// Waits until the process behind pidfd has exited (it need not be our child).
void wait_for_exit(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    while (::poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
    }
}

Result<UniqueFd> open_pidfd(pid_t pid) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return fail_errno("pidfd_open " + std::to_string(pid));
    return UniqueFd(fd);
}

// Processes that share the pid namespace of `init` (all of them but init's ancestors' world).
std::vector<pid_t> processes_in_pid_namespace(pid_t init) {
    std::vector<pid_t> pids;
    struct stat target {};
    std::string ns = "/proc/" + std::to_string(init) + "/ns/pid";
    if (::stat(ns.c_str(), &target) < 0) return pids;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return pids;
    while (auto* entry = ::readdir(dir)) {
        auto pid = parse_int<pid_t>(entry->d_name);
        if (!pid) continue;
        struct stat st {};
        std::string path = std::string("/proc/") + entry->d_name + "/ns/pid";
        if (::stat(path.c_str(), &st) == 0 && st.st_ino == target.st_ino &&
            st.st_dev == target.st_dev)
            pids.push_back(*pid);
    }
    ::closedir(dir);
    return pids;
}

// Removes the container's state when launching fails, so a failed create leaves nothing behind.
class StateGuard {
  public:
    explicit StateGuard(LockedContainer& container) : container_(&container) {}
    ~StateGuard() {
        if (!container_) return;
        (void)container_->destroy();
        if (!pid_file_.empty()) ::unlink(pid_file_.c_str());
    }
    // The pid file written for the container, removed too should the create fail after all.
    void pid_file_written(std::string path) { pid_file_ = std::move(path); }
    void dismiss() { container_ = nullptr; }

  private:
    LockedContainer* container_;
    std::string pid_file_;
};

}  // namespace

Result<std::unique_ptr<cgroups::CgroupManager>> Runtime::open_cgroup(
    const ContainerRecord& record) const {
    if (record.cgroup_paths.empty()) return std::unique_ptr<cgroups::CgroupManager>();
    return cgroups::open_cgroup_manager(*TRY(cgroup_host()), record.cgroup_paths);
}

Result<const cgroups::CgroupHost*> Runtime::cgroup_host() const {
    if (!cgroup_host_) cgroup_host_ = TRY(cgroups::probe_cgroup_host());
    return &*cgroup_host_;
}

Status Runtime::status_of(const LockedContainer& container, const ContainerRecord& record) const {
    Status status = container.status(record);
    if (status != Status::Running || record.cgroup_paths.empty()) return status;
    if (auto cgroup = open_cgroup(record); cgroup && *cgroup) {
        auto freezer = (*cgroup)->freezer_state();
        if (freezer && *freezer == cgroups::FreezerState::Frozen) return Status::Paused;
    }
    return status;
}

// A failing poststart or poststop hook is only a warning (runtime-spec runtime.md, lifecycle).
void Runtime::run_poststart(const oci::Spec& spec, const ContainerRecord& record) const {
    for (const auto& failure :
         run_every_hook(spec.hooks.poststart, state_json(record, Status::Running), "poststart"))
        log_.warn(failure.message());
}

void Runtime::run_poststop(const oci::Spec& spec, const ContainerRecord& record) const {
    for (const auto& failure :
         run_every_hook(spec.hooks.poststop, state_json(record, Status::Stopped), "poststop"))
        log_.warn(failure.message());
}

Json Runtime::state_json(const ContainerRecord& record, Status status) const {
    Json j = {{"ociVersion", "1.2.0"},
              {"id", record.id},
              {"pid", status == Status::Stopped ? 0 : record.pid},
              {"status", to_string(status)},
              {"bundle", record.bundle},
              {"rootfs", record.rootfs},
              {"created", record.created},
              {"owner", ""}};
    if (!record.annotations.empty()) j["annotations"] = record.annotations;
    return j;
}

Result<int> Runtime::launch(const CreateOptions& options, Mode mode) {
    auto bundle = TRY(absolute_path(options.bundle));
    auto spec = TRY(oci::load_spec(bundle));
    if (!spec.process)
        return fail(ErrorKind::InvalidArgument,
                    "config.json: process is required to create a container");
    std::string rootfs = spec.root.path.front() == '/'
                             ? clean_path(spec.root.path)
                             : clean_path(join_path(bundle, spec.root.path));
    struct stat st {};
    if (::stat(rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
        return fail(ErrorKind::InvalidArgument, "rootfs " + rootfs + " is not a directory");
    bool foreground = mode == Mode::RunForeground;
    bool proxy_terminal =
        spec.process->terminal && options.console_socket.empty() && options.console_fd < 0;
    if (proxy_terminal && !foreground)
        return fail(ErrorKind::InvalidArgument,
                    "cannot allocate a terminal for a detached container without --console-socket");
    for (const auto& warning : unapplied_entries(spec))
        log_.warn(warning);
    auto plan = TRY(plan_namespaces(spec.linux));
    // A new network namespace is made meanwhile, on another thread; one to be owned by a user
    // namespace of the container's must be made in it.
    NetworkNamespaceInMaking network;
    if ((plan.unshare_flags & CLONE_NEWNET) && !spec.linux.find_namespace("user")) network.start();

    // Compiled here so that a bad profile fails before anything is created.
    SeccompFilter seccomp;
    if (!spec.linux.seccomp.is_null()) {
        std::vector<std::string> warnings;
        seccomp = TRY_CTX(compile_seccomp(spec.linux.seccomp, warnings), "linux.seccomp");
        for (const auto& w : warnings)
            log_.warn(w);
    }

    // A cgroup is made when the config asks for one (cgroupsPath or resources): containerd and
    // dockerd always do. Without, none is made, which spares every plain `run` the cost.
    std::unique_ptr<cgroups::CgroupManager> cgroup;
    bool has_resources = !spec.linux.resources.is_null() && !spec.linux.resources.empty();
    if (!spec.linux.cgroups_path.empty() || has_resources) {
        const auto* host = TRY(cgroup_host());
        auto path = TRY_CTX(cgroups::resolve_cgroup_path(spec.linux.cgroups_path, options.id),
                            "linux.cgroupsPath");
        cgroup = TRY_CTX(cgroups::make_cgroup_manager(*host, path), "linux.cgroupsPath");
    }

    auto container = TRY(store_.create(options.id));
    StateGuard guard(container);
    // exec needs the container's process settings later, whatever happens to the bundle.
    TRY(write_file(container.path("config.json"), TRY(read_file(join_path(bundle, "config.json"))),
                   0600));

    UniqueFd console;
    UniqueFd console_receiver;  // our end when we proxy the terminal ourselves
    if (spec.process->terminal) {
        if (proxy_terminal) {
            int pair[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return fail_errno("socketpair");
            console_receiver.reset(pair[0]);
            console.reset(pair[1]);
        } else {
            console = TRY_CTX(console_channel(options.console_socket, options.console_fd),
                              "console socket");
        }
    }

    UniqueFd fifo;
    if (mode == Mode::Create) {
        std::string fifo_path = container.path("exec.fifo");
        if (::mkfifo(fifo_path.c_str(), 0600) < 0) return fail_errno("mkfifo " + fifo_path);
        // Read-write, so opening never blocks; init reads from it until `start` writes.
        fifo = TRY(open_fd(fifo_path, O_RDWR));
    }

    auto [parent_sync, child_sync] = TRY(make_sync_pair());
    if (plan.join_pid) {
        auto ns = TRY(open_fd(plan.pid_path, O_RDONLY));
        if (::setns(ns.get(), CLONE_NEWPID) < 0)
            return fail_errno("join pid namespace " + plan.pid_path);
    }

    std::optional<BlockedSignals> blocked;
    if (foreground) blocked.emplace();
    InitConfig init;
    init.spec = &spec;
    init.plan = plan;
    init.rootfs = rootfs;
    init.bundle = bundle;
    init.sync = &child_sync;
    init.console_socket = console.get();
    init.exec_fifo = fifo.get();
    init.start = mode == Mode::Create ? StartSignal::ExecFifo : StartSignal::SyncGo;
    init.preserve_fds = options.preserve_fds;
    init.no_pivot = options.no_pivot;
    init.no_new_keyring = options.no_new_keyring;
    init.seccomp = &seccomp;
    init.wait_for_parent = plan.new_user;
    init.cgroup_join_pending = cgroup != nullptr;
    // Without one made ahead (not wanted, or it failed), the child makes its own if it needs it.
    UniqueFd prepared_network;
    if (auto made = network.take()) {
        prepared_network = std::move(*made);
        init.network_namespace = prepared_network.get();
        init.plan.unshare_flags &= ~CLONE_NEWNET;
    }

    // Removes the cgroup again if the create fails from here on.
    struct CgroupGuard {
        cgroups::CgroupManager* cgroup = nullptr;
        ~CgroupGuard() {
            if (cgroup) (void)cgroup->destroy();
        }
    } cgroup_guard;
    // The child is born in the cgroup where it can be (see JoinAtBirth); in a new user namespace
    // it cannot write to the host's cgroup files, so the parent moves it in as before.
    cgroups::JoinAtBirth join;
    bool born_in_cgroup = false;
    if (cgroup && !plan.new_user) {
        TRY_CTX(cgroup->create(), "create cgroup");
        cgroup_guard.cgroup = cgroup.get();
        join = TRY_CTX(cgroup->prepare_join_at_birth(), "open cgroup");
        for (const auto& fd : join.self_join)
            init.cgroup_self_join_fds.push_back(fd.get());
        born_in_cgroup = true;
    }
    init.hooks_before_switch = !spec.hooks.prestart.empty() || !spec.hooks.create_runtime.empty() ||
                               !spec.hooks.create_container.empty();

    int pidfd = -1;
    auto cloned = clone_child(plan.clone_flags, &pidfd, join.clone_into.get());
    if (!cloned && join.clone_into.valid() && lacks_clone_into_cgroup(cloned.error())) {
        // A kernel before 5.7 has no CLONE_INTO_CGROUP: the parent moves the child in.
        born_in_cgroup = false;
        init.cgroup_self_join_fds.clear();
        cloned = clone_child(plan.clone_flags, &pidfd);
    }
    pid_t pid = TRY(std::move(cloned));
    if (pid == 0) {
        parent_sync.close();
        run_container_init(init);
    }
    ChildProcess child(pid, UniqueFd(pidfd));
    child_sync.close();
    console.reset();
    fifo.reset();

    join = {};
    cgroup_guard.cgroup = cgroup.get();
    if (plan.new_user) {
        TRY(write_id_mappings(pid, spec.linux.uid_mappings, spec.linux.gid_mappings));
        TRY(parent_sync.send(SyncType::Mapped));
    }
    // The child sets up its mounts meanwhile; it waits for CgroupJoined (in the cgroup, limits
    // applied) before anything that depends on its cgroup.
    if (cgroup) {
        if (!born_in_cgroup) TRY_CTX(cgroup->create(), "create cgroup");
        if (has_resources) {
            // runc's default device access (mknod, the standard nodes, ptmx and pts) on top.
            Json resources = spec.linux.resources;
            std::vector<std::string> device_paths;
            for (const auto& d : spec.linux.devices)
                device_paths.push_back(d.path);
            cgroups::append_default_device_rules(resources, device_paths);
            TRY_CTX(cgroup->apply(resources), "linux.resources");
        }
        if (!born_in_cgroup) TRY_CTX(cgroup->add_process(pid), "join cgroup");
        // A child that already failed has closed its end: its error comes below.
        (void)parent_sync.send(SyncType::CgroupJoined);
    }
    ContainerRecord record;
    record.id = options.id;
    record.pid = pid;
    record.bundle = bundle;
    record.rootfs = rootfs;
    record.owner = ::getuid();
    record.annotations = spec.annotations;
    record.detached_from_fifo = mode != Mode::Create;
    record.has_hooks = !spec.hooks.empty();
    if (cgroup) record.cgroup_paths = cgroup->paths();
    // Saved while the child sets up its mounts, so that its Ready is answered at once.
    record.pid_start_time = process_start_time(pid);
    record.created = rfc3339_now();
    TRY(container.save(record));
    TRY(write_pid_file(options.pid_file, pid));
    if (!options.pid_file.empty()) guard.pid_file_written(options.pid_file);
    for (;;) {
        auto msg = TRY(parent_sync.receive());
        if (msg.type == SyncType::Warning) {
            log_.warn(msg.text);
            continue;
        }
        if (msg.type == SyncType::Hooks) {
            Json state = state_json(record, Status::Creating);
            auto ran = run_hooks(spec.hooks.prestart, state, "prestart");
            if (ran) ran = run_hooks(spec.hooks.create_runtime, state, "createRuntime");
            if (!ran) {
                (void)parent_sync.send(SyncType::Error, ran.error().message());
                return fail(std::move(ran).error());
            }
            TRY(parent_sync.send(SyncType::HooksDone, state.dump()));
            continue;
        }
        if (msg.type == SyncType::SeccompListener) {
            auto sent = forward_seccomp_listener(seccomp, child.pidfd(), pid, msg.text,
                                                 state_json(record, Status::Creating));
            if (!sent) {
                (void)parent_sync.send(SyncType::Error, sent.error().message());
                return fail(std::move(sent).error());
            }
            TRY(parent_sync.send(SyncType::SeccompListenerDone));
            continue;
        }
        if (msg.type == SyncType::Error) return fail(ErrorKind::Internal, msg.text);
        if (msg.type == SyncType::Ready) break;
        return fail(ErrorKind::Internal, "unexpected message from container init");
    }

    cgroup_guard.cgroup = nullptr;
    if (mode == Mode::Create) {
        guard.dismiss();
        child.release();
        return 0;
    }
    TRY(parent_sync.send(SyncType::Go));
    // Either the socket closes (execve succeeded) or an error arrives.
    for (;;) {
        auto msg = parent_sync.receive();
        if (!msg) break;
        if (msg->type == SyncType::Error) return fail(ErrorKind::Internal, msg->text);
    }
    guard.dismiss();
    run_poststart(spec, record);
    if (mode == Mode::RunDetached) {
        child.release();
        return 0;
    }

    // Foreground: let other commands (kill, exec, state) at the container while we wait.
    UniqueFd master;
    if (proxy_terminal) master = TRY_CTX(receive_fd(console_receiver.get()), "receive terminal");
    { LockedContainer release_lock = std::move(container); }
    int code = TRY(supervise(child, *blocked, std::move(master)));
    // Like runc, a foreground container is deleted once its process exits.
    if (auto again = store_.open(options.id)) {
        if (cgroup) (void)cgroup->destroy();
        run_poststop(spec, record);
        (void)again->destroy();
    }
    return code;
}

Result<void> Runtime::create(const CreateOptions& options) {
    TRY(launch(options, Mode::Create));
    return {};
}

Result<int> Runtime::run(const CreateOptions& options) {
    return launch(options, options.detach ? Mode::RunDetached : Mode::RunForeground);
}

Result<void> Runtime::start(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = status_of(container, record);
    if (status != Status::Created)
        return fail(ErrorKind::Conflict,
                    "cannot start a container that is " + std::string(to_string(status)));
    std::string fifo_path = container.path("exec.fifo");
    int fd = ::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO)
            return fail(ErrorKind::Conflict,
                        "cannot start container " + id + ": its init has exited");
        return fail_errno("open " + fifo_path);
    }
    UniqueFd owned(fd);
    if (::write(fd, "0", 1) != 1) return fail_errno("start container " + id);
    owned.reset();
    if (record.has_hooks) {
        // poststart runs once the program runs: the init keeps its (close-on-exec) end of the
        // fifo until execve, so opening it finds no reader (ENXIO) from then on.
        for (int waited_ms = 0; waited_ms < 60000; ++waited_ms) {
            int probe = ::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (probe < 0) break;
            ::close(probe);
            ::usleep(1000);  // a bounded poll of the init's progress
        }
    }
    ::unlink(fifo_path.c_str());
    if (record.has_hooks) {
        auto spec = TRY(oci::parse_spec(TRY(read_json_file(container.path("config.json")))));
        run_poststart(spec, record);
    }
    return {};
}

Result<Json> Runtime::state(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    return state_json(record, status_of(container, record));
}

Result<std::vector<Json>> Runtime::list() {
    std::vector<Json> out;
    for (const auto& id : TRY(store_.list())) {
        auto container = store_.open(id);
        if (!container) continue;
        auto record = container->load();
        if (!record) continue;
        out.push_back(state_json(*record, status_of(*container, *record)));
    }
    return out;
}

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = container.status(record);
    if (status == Status::Stopped) return fail(ErrorKind::Conflict, "container not running");
    auto pidfd = TRY(open_pidfd(record.pid));
    // The start time check guards against a recycled pid; the pidfd against one recycled since.
    if (process_start_time(record.pid) != record.pid_start_time)
        return fail(ErrorKind::Conflict, "container not running");
    if (all) {
        if (auto cgroup = TRY(open_cgroup(record))) return cgroup->kill_all(signal);
    }
    if (all && namespace_differs(record.pid, "pid")) {
        for (pid_t pid : processes_in_pid_namespace(record.pid))
            ::kill(pid, signal);
        return {};
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) < 0) {
        if (errno == ESRCH) return fail(ErrorKind::Conflict, "container not running");
        return fail_errno("signal container " + id);
    }
    return {};
}

Result<std::vector<pid_t>> Runtime::pids(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (container.status(record) == Status::Stopped) return std::vector<pid_t>{};
    if (auto cgroup = TRY(open_cgroup(record))) return cgroup->pids();
    if (namespace_differs(record.pid, "pid")) return processes_in_pid_namespace(record.pid);
    return std::vector<pid_t>{record.pid};
}

Result<void> Runtime::pause(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = status_of(container, record);
    if (status != Status::Running)
        return fail(ErrorKind::Conflict,
                    "container " + id + " is not running: " + std::string(to_string(status)));
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup)
        return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup to freeze");
    return cgroup->freeze();
}

Result<void> Runtime::resume(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) != Status::Paused)
        return fail(ErrorKind::Conflict, "container " + id + " is not paused");
    auto cgroup = TRY(open_cgroup(record));
    return cgroup->thaw();
}

Result<void> Runtime::update(const std::string& id, const Json& resources) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) == Status::Stopped)
        return fail(ErrorKind::Conflict, "container " + id + " is not running");
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup)
        return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup to update");
    return cgroup->apply(resources);
}

Result<Json> Runtime::stats(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) == Status::Stopped)
        return fail(ErrorKind::Conflict, "container " + id + " is not running");
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup) return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup");
    return cgroups::stats_event_json(id, TRY(cgroup->stats()));
}

Result<uint64_t> Runtime::oom_kills(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup) return uint64_t{0};
    return cgroup->oom_kill_count();
}

Result<void> Runtime::remove(const std::string& id, bool force) {
    auto container = store_.open(id);
    if (!container) {
        // `delete --force` of something that does not exist is not an error for runc's callers.
        if (force && container.error().kind() == ErrorKind::NotFound) return {};
        return fail(std::move(container).error());
    }
    auto record = container->load();
    if (!record) {
        // A create that died half-way: nothing runs, only the directory is left.
        return container->destroy();
    }
    Status status = status_of(*container, *record);
    if ((status == Status::Running || status == Status::Paused) && !force)
        return fail(ErrorKind::Conflict,
                    "cannot delete container " + id +
                        " that is not stopped: " + std::string(to_string(status)));
    if (status != Status::Stopped) {
        auto pidfd = open_pidfd(record->pid);
        if (pidfd) {
            // Killing the init of a pid namespace kills everything in it.
            ::syscall(SYS_pidfd_send_signal, pidfd->get(), SIGKILL, nullptr, 0);
            wait_for_exit(pidfd->get(), 10000);
        }
    }
    if (auto cgroup = open_cgroup(*record); cgroup && *cgroup) {
        // A paused container must be thawed for its processes to die.
        (void)(*cgroup)->thaw();
        if (status != Status::Stopped) (void)(*cgroup)->kill_all(SIGKILL);
        TRY_CTX((*cgroup)->destroy(), "remove cgroup");
    }
    if (record->has_hooks) {
        if (auto doc = read_json_file(container->path("config.json"))) {
            if (auto spec = oci::parse_spec(*doc)) run_poststop(*spec, *record);
        }
    }
    return container->destroy();
}

}  // namespace berth::runtime
