// Runtime::launch, the create and run commands: each step of bringing up a container's init,
// in the order runc takes them.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include "base/child_process.h"
#include "base/clock.h"
#include "base/fs.h"
#include "runtime/cgroups/device_rules.h"
#include "runtime/container_init.h"
#include "runtime/hooks.h"
#include "runtime/namespaces.h"
#include "runtime/network_namespace.h"
#include "runtime/pid_file.h"
#include "runtime/runtime.h"
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

// Removes the cgroup again if the create fails from the point it is made on.
struct CgroupGuard {
    cgroups::CgroupManager* cgroup = nullptr;
    ~CgroupGuard() {
        if (cgroup) (void)cgroup->destroy();
    }
};

// What the launch reads from the bundle: its absolute path, config.json and the root directory.
struct Bundle {
    std::string path;
    oci::Spec spec;
    std::string rootfs;
};

Result<Bundle> load_bundle(const std::string& bundle_path) {
    Bundle bundle;
    bundle.path = TRY(absolute_path(bundle_path));
    bundle.spec = TRY(oci::load_spec(bundle.path));
    if (!bundle.spec.process)
        return fail(ErrorKind::InvalidArgument,
                    "config.json: process is required to create a container");
    const std::string& root = bundle.spec.root.path;
    bundle.rootfs =
        root.front() == '/' ? clean_path(root) : clean_path(join_path(bundle.path, root));
    struct stat st {};
    if (::stat(bundle.rootfs.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
        return fail(ErrorKind::InvalidArgument, "rootfs " + bundle.rootfs + " is not a directory");
    return bundle;
}

// Compiled before anything is created, so that a bad profile leaves nothing behind.
Result<SeccompFilter> compile_spec_seccomp(const oci::Spec& spec, const Logger& log) {
    if (spec.linux.seccomp.is_null()) return SeccompFilter{};
    std::vector<std::string> warnings;
    auto seccomp = TRY_CTX(compile_seccomp(spec.linux.seccomp, warnings), "linux.seccomp");
    for (const auto& w : warnings)
        log.warn(w);
    return seccomp;
}

bool has_resources(const oci::Spec& spec) {
    return !spec.linux.resources.is_null() && !spec.linux.resources.empty();
}

// A cgroup is made when the config asks for one (cgroupsPath or resources): containerd and
// dockerd always do. Without, none is made, which spares every plain `run` the cost.
bool wants_cgroup(const oci::Spec& spec) {
    return !spec.linux.cgroups_path.empty() || has_resources(spec);
}

Result<std::unique_ptr<cgroups::CgroupManager>> make_cgroup(const cgroups::CgroupHost& host,
                                                            const oci::Spec& spec,
                                                            const std::string& id) {
    auto path =
        TRY_CTX(cgroups::resolve_cgroup_path(spec.linux.cgroups_path, id), "linux.cgroupsPath");
    return TRY_CTX(cgroups::make_cgroup_manager(host, path), "linux.cgroupsPath");
}

Result<UniqueFd> make_exec_fifo(const LockedContainer& container) {
    std::string fifo_path = container.path("exec.fifo");
    if (::mkfifo(fifo_path.c_str(), 0600) < 0) return fail_errno("mkfifo " + fifo_path);
    // Read-write, so opening never blocks; init reads from it until `start` writes.
    return open_fd(fifo_path, O_RDWR);
}

Result<void> join_pid_namespace(const NamespacePlan& plan) {
    if (!plan.join_pid) return {};
    auto ns = TRY(open_fd(plan.pid_path, O_RDONLY));
    if (::setns(ns.get(), CLONE_NEWPID) < 0)
        return fail_errno("join pid namespace " + plan.pid_path);
    return {};
}

// The child is born in the cgroup where it can be (see JoinAtBirth); in a new user namespace
// it cannot write to the host's cgroup files, so the parent moves it in after the clone.
Result<cgroups::JoinAtBirth> prepare_cgroup_join(cgroups::CgroupManager* cgroup, InitConfig& init,
                                                 CgroupGuard& guard) {
    if (!cgroup || init.plan.new_user) return cgroups::JoinAtBirth{};
    TRY_CTX(cgroup->create(), "create cgroup");
    guard.cgroup = cgroup;
    auto join = TRY_CTX(cgroup->prepare_join_at_birth(), "open cgroup");
    for (const auto& fd : join.self_join)
        init.cgroup_self_join_fds.push_back(fd.get());
    return join;
}

// Clones the container's init (which never returns in the child). A kernel before 5.7 has no
// CLONE_INTO_CGROUP: then the clone is made without, and the parent moves the child in.
Result<ChildProcess> clone_init(InitConfig& init, const cgroups::JoinAtBirth& join,
                                SyncSocket& parent_sync, bool& born_in_cgroup) {
    int pidfd = -1;
    int flags = init.plan.clone_flags;
    auto cloned = clone_child(flags, &pidfd, join.clone_into.get());
    if (!cloned && join.clone_into.valid() && lacks_clone_into_cgroup(cloned.error())) {
        born_in_cgroup = false;
        init.cgroup_self_join_fds.clear();
        cloned = clone_child(flags, &pidfd);
    }
    pid_t pid = TRY(std::move(cloned));
    if (pid == 0) {
        parent_sync.close();
        run_container_init(init);
    }
    return ChildProcess(pid, UniqueFd(pidfd));
}

// The parent's part while the child sets up its mounts: its id mappings, then its cgroup (made,
// limits applied, joined) before it does anything that depends on it.
Result<void> settle_child(const oci::Spec& spec, const NamespacePlan& plan,
                          cgroups::CgroupManager* cgroup, bool born_in_cgroup, pid_t pid,
                          SyncSocket& parent_sync) {
    if (plan.new_user) {
        TRY(write_id_mappings(pid, spec.linux.uid_mappings, spec.linux.gid_mappings));
        TRY(parent_sync.send(SyncType::Mapped));
    }
    if (!cgroup) return {};
    if (!born_in_cgroup) TRY_CTX(cgroup->create(), "create cgroup");
    if (has_resources(spec)) {
        // runc's default device access (mknod, the standard nodes, ptmx and pts) on top.
        Json resources = spec.linux.resources;
        std::vector<std::string> device_paths;
        device_paths.reserve(spec.linux.devices.size());
        for (const auto& d : spec.linux.devices)
            device_paths.push_back(d.path);
        cgroups::append_default_device_rules(resources, device_paths);
        TRY_CTX(cgroup->apply(resources), "linux.resources");
    }
    if (!born_in_cgroup) TRY_CTX(cgroup->add_process(pid), "join cgroup");
    // A child that already failed has closed its end: its error comes later.
    (void)parent_sync.send(SyncType::CgroupJoined);
    return {};
}

// Answers the child's requests while it sets itself up (warnings, the prestart and
// createRuntime hooks, its seccomp listener) until it says Ready.
Result<void> serve_until_ready(const oci::Spec& spec, const SeccompFilter& seccomp,
                               const ChildProcess& child,
                               const std::function<Json()>& creating_state, SyncSocket& parent_sync,
                               const Logger& log) {
    for (;;) {
        auto msg = TRY(parent_sync.receive());
        if (msg.type == SyncType::Warning) {
            log.warn(msg.text);
            continue;
        }
        if (msg.type == SyncType::Hooks) {
            Json state = creating_state();
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
            auto sent = forward_seccomp_listener(seccomp, child.pidfd(), child.pid(), msg.text,
                                                 creating_state());
            if (!sent) {
                (void)parent_sync.send(SyncType::Error, sent.error().message());
                return fail(std::move(sent).error());
            }
            TRY(parent_sync.send(SyncType::SeccompListenerDone));
            continue;
        }
        if (msg.type == SyncType::Error) return fail(ErrorKind::Internal, msg.text);
        if (msg.type == SyncType::Ready) return {};
        return fail(ErrorKind::Internal, "unexpected message from container init");
    }
}

// Tells a Ready child to go, then waits: either the socket closes (execve succeeded) or an
// error arrives.
Result<void> start_child(SyncSocket& parent_sync) {
    TRY(parent_sync.send(SyncType::Go));
    for (;;) {
        auto msg = parent_sync.receive();
        if (!msg) return {};
        if (msg->type == SyncType::Error) return fail(ErrorKind::Internal, msg->text);
    }
}

}  // namespace

namespace {

InitConfig init_config_for(const Bundle& bundle, const NamespacePlan& plan,
                           const CreateOptions& options, bool create) {
    InitConfig init;
    init.spec = &bundle.spec;
    init.plan = plan;
    init.rootfs = bundle.rootfs;
    init.bundle = bundle.path;
    init.start = create ? StartSignal::ExecFifo : StartSignal::SyncGo;
    init.preserve_fds = options.preserve_fds;
    init.no_pivot = options.no_pivot;
    init.no_new_keyring = options.no_new_keyring;
    init.wait_for_parent = plan.new_user;
    const auto& hooks = bundle.spec.hooks;
    init.hooks_before_switch =
        !hooks.prestart.empty() || !hooks.create_runtime.empty() || !hooks.create_container.empty();
    return init;
}

// The network namespace made ahead, for the child to join instead of making one. Without one
// (not wanted, or it failed), the child makes its own if it needs it.
UniqueFd adopt_network_namespace(NetworkNamespaceInMaking& network, InitConfig& init) {
    auto made = network.take();
    if (!made) return UniqueFd();
    init.network_namespace = made->get();
    init.plan.unshare_flags &= ~CLONE_NEWNET;
    return std::move(*made);
}

ContainerRecord record_for(const Bundle& bundle, const std::string& id, pid_t pid, bool create,
                           const cgroups::CgroupManager* cgroup) {
    ContainerRecord record;
    record.id = id;
    record.pid = pid;
    record.bundle = bundle.path;
    record.rootfs = bundle.rootfs;
    record.owner = ::getuid();
    record.annotations = bundle.spec.annotations;
    record.detached_from_fifo = !create;
    record.has_hooks = !bundle.spec.hooks.empty();
    if (cgroup) record.cgroup_paths = cgroup->paths();
    record.pid_start_time = process_start_time(pid);
    record.created = rfc3339_now();
    return record;
}

}  // namespace

Result<int> Runtime::launch(const CreateOptions& options, Mode mode) {
    Bundle bundle = TRY(load_bundle(options.bundle));
    const oci::Spec& spec = bundle.spec;
    bool create = mode == Mode::Create, foreground = mode == Mode::RunForeground;
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
    SeccompFilter seccomp = TRY(compile_spec_seccomp(spec, log_));
    std::unique_ptr<cgroups::CgroupManager> cgroup;
    if (wants_cgroup(spec)) cgroup = TRY(make_cgroup(*TRY(cgroup_host()), spec, options.id));

    auto container = TRY(store_.create(options.id));
    StateGuard guard(container);
    // exec needs the container's process settings later, whatever happens to the bundle.
    TRY(write_file(container.path("config.json"),
                   TRY(read_file(join_path(bundle.path, "config.json"))), 0600));
    auto [console, console_receiver] = TRY(open_console_ends(
        spec.process->terminal, proxy_terminal, options.console_socket, options.console_fd));
    UniqueFd fifo;
    if (create) fifo = TRY(make_exec_fifo(container));
    auto [parent_sync, child_sync] = TRY(make_sync_pair());
    TRY(join_pid_namespace(plan));

    std::optional<BlockedSignals> blocked;
    if (foreground) blocked.emplace();
    InitConfig init = init_config_for(bundle, plan, options, create);
    init.sync = &child_sync;
    init.console_socket = console.get();
    init.exec_fifo = fifo.get();
    init.seccomp = &seccomp;
    init.cgroup_join_pending = cgroup != nullptr;
    UniqueFd prepared_network = adopt_network_namespace(network, init);
    CgroupGuard cgroup_guard;
    auto join = TRY(prepare_cgroup_join(cgroup.get(), init, cgroup_guard));
    bool born_in_cgroup = cgroup && !plan.new_user;
    ChildProcess child = TRY(clone_init(init, join, parent_sync, born_in_cgroup));
    child_sync.close();
    console.reset();
    fifo.reset();
    join = {};

    cgroup_guard.cgroup = cgroup.get();
    TRY(settle_child(spec, plan, cgroup.get(), born_in_cgroup, child.pid(), parent_sync));
    // Saved while the child sets up its mounts, so that its Ready is answered at once.
    ContainerRecord record = record_for(bundle, options.id, child.pid(), create, cgroup.get());
    TRY(container.save(record));
    TRY(write_pid_file(options.pid_file, child.pid()));
    if (!options.pid_file.empty()) guard.pid_file_written(options.pid_file);
    TRY(serve_until_ready(
        spec, seccomp, child, [&] { return state_json(record, Status::Creating); }, parent_sync,
        log_));
    cgroup_guard.cgroup = nullptr;
    if (create) {
        guard.dismiss();
        child.release();
        return 0;
    }
    TRY(start_child(parent_sync));
    guard.dismiss();
    run_poststart(spec, record);
    if (mode == Mode::RunDetached) {
        child.release();
        return 0;
    }
    UniqueFd master;
    if (proxy_terminal) master = TRY_CTX(receive_fd(console_receiver.get()), "receive terminal");
    return supervise_foreground(std::move(container), child, *blocked, std::move(master), spec,
                                record, cgroup.get());
}

// Foreground: other commands (kill, exec, state) may act on the container while we wait; like
// runc, it is deleted once its process exits.
Result<int> Runtime::supervise_foreground(LockedContainer container, ChildProcess& child,
                                          const BlockedSignals& blocked, UniqueFd master,
                                          const oci::Spec& spec, const ContainerRecord& record,
                                          cgroups::CgroupManager* cgroup) {
    { LockedContainer release_lock = std::move(container); }
    int code = TRY(supervise(child, blocked, std::move(master)));
    if (auto again = store_.open(record.id)) {
        if (cgroup) (void)cgroup->destroy();
        run_poststop(spec, record);
        (void)again->destroy();
    }
    return code;
}

}  // namespace berth::runtime
