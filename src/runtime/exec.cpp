// `exec`: a new process in a running container, joining every namespace of its init.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/child_process.h"
#include "base/fs.h"
#include "runtime/capabilities.h"
#include "runtime/container_init.h"
#include "runtime/namespaces.h"
#include "runtime/pid_file.h"
#include "runtime/process_setup.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"
#include "runtime/supervisor.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

namespace {

// The process of an exec: from --process, or the container's own process with the command line's
// changes, as runc does it.
Result<oci::Process> exec_process(const ExecOptions& o, const oci::Spec& spec) {
    if (!o.process_file.empty()) {
        auto doc = TRY(read_json_file(o.process_file));
        auto process = TRY_CTX(oci::parse_process(doc), o.process_file);
        TRY_CTX(oci::validate_process(process), o.process_file);
        return process;
    }
    oci::Process p = spec.process.value_or(oci::Process{});
    if (o.args.empty()) return fail(ErrorKind::InvalidArgument, "exec: a command is required");
    p.args = o.args;
    p.terminal = o.tty;
    p.console_size.reset();
    for (const auto& e : o.env) {
        if (e.find('=') == std::string::npos)
            return fail(ErrorKind::InvalidArgument,
                        "exec: environment \"" + e + "\" is not KEY=value");
        set_env(p.env, e);
    }
    if (!o.cwd.empty()) p.cwd = o.cwd;
    if (!o.user.empty()) {
        auto colon = o.user.find(':');
        p.user.uid = TRY(parse_id(o.user.substr(0, colon), "user"));
        if (colon != std::string::npos)
            p.user.gid = TRY(parse_id(o.user.substr(colon + 1), "group"));
    }
    if (o.replace_additional_gids) p.user.additional_gids.clear();
    for (const auto& g : o.additional_gids)
        p.user.additional_gids.push_back(TRY(parse_id(g, "group")));
    if (o.no_new_privileges) p.no_new_privileges = true;
    if (!o.cap_add.empty()) {
        if (!p.capabilities) p.capabilities = oci::Capabilities{};
        for (const auto& cap : o.cap_add) {
            if (!capability_from_name(cap))
                return fail(ErrorKind::InvalidArgument, "exec: unknown capability " + cap);
            for (auto* set : {&p.capabilities->bounding, &p.capabilities->effective,
                              &p.capabilities->permitted, &p.capabilities->ambient})
                set->push_back(cap);
        }
    }
    TRY(oci::validate_process(p));
    return p;
}

// The container's init, held while the exec is set up: its pidfd (checked to be the process the
// record names, not a reused pid) and its root.
struct ContainerInit {
    UniqueFd pidfd;
    UniqueFd root;
};

Result<ContainerInit> open_container_init(const ContainerRecord& record) {
    int raw_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, record.pid, 0));
    if (raw_pidfd < 0) return fail_errno("open container init");
    ContainerInit init{UniqueFd(raw_pidfd), UniqueFd()};
    if (process_start_time(record.pid) != record.pid_start_time)
        return fail(ErrorKind::Conflict, "cannot exec in a stopped container");
    init.root = TRY(open_fd("/proc/" + std::to_string(record.pid) + "/root", O_PATH | O_DIRECTORY));
    return init;
}

// The namespaces of the container's init that differ from ours (the clone flags to join). The
// pid namespace applies to our children: it is joined here, before the clone.
Result<int> enter_pid_namespace_and_list_others(pid_t init_pid, int init_pidfd) {
    int flags = 0;
    const std::pair<const char*, int> kinds[] = {
        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"net", CLONE_NEWNET},
        {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP},
        {"time", CLONE_NEWTIME},
    };
    for (const auto& [name, flag] : kinds)
        if (namespace_differs(init_pid, name)) flags |= flag;
    if (namespace_differs(init_pid, "pid") && ::setns(init_pidfd, CLONE_NEWPID) < 0)
        return fail_errno("join the container's pid namespace");
    return flags;
}

// The process joins the container's cgroup (so that limits, ps, pause and kill --all see it).
// It is born in the cgroup where it can be (cgroups::JoinAtBirth: no migration, no wait for an
// RCU grace period); otherwise the parent moves it in (config.wait_for_parent).
cgroups::JoinAtBirth prepare_cgroup_join(cgroups::CgroupManager* cgroup, ExecChildConfig& config) {
    cgroups::JoinAtBirth join;
    if (cgroup) {
        auto prepared = cgroup->prepare_join_at_birth();
        config.wait_for_parent = !prepared;
        if (prepared) join = std::move(*prepared);
        for (const auto& fd : join.self_join)
            config.cgroup_self_join_fds.push_back(fd.get());
    }
    return join;
}

// Clones the exec'd process (which never returns in the child); without CLONE_INTO_CGROUP
// (a kernel before 5.7), the clone is made without and the parent moves the child in.
Result<ChildProcess> clone_exec_child(ExecChildConfig& config, const cgroups::JoinAtBirth& join,
                                      SyncSocket& parent_sync) {
    int pidfd = -1;
    bool born_in_cgroup = join.clone_into.valid();
    auto cloned = clone_child(0, &pidfd, born_in_cgroup ? join.clone_into.get() : -1);
    if (!cloned && born_in_cgroup && lacks_clone_into_cgroup(cloned.error())) {
        config.wait_for_parent = true;
        config.cgroup_self_join_fds.clear();
        cloned = clone_child(0, &pidfd);
    }
    pid_t pid = TRY(std::move(cloned));
    if (pid == 0) {
        parent_sync.close();
        run_exec_child(config);
    }
    return ChildProcess(pid, UniqueFd(pidfd));
}

// Answers the child until it execs (the socket closes): its warnings and seccomp listener.
Result<void> serve_until_exec(const ExecOptions& o, const ContainerRecord& record,
                              const SeccompFilter& seccomp, ChildProcess& child,
                              SyncSocket& parent_sync, const Logger& log) {
    for (;;) {
        auto msg = parent_sync.receive();
        if (!msg) return {};  // closed on execve: the program runs
        if (msg->type == SyncType::Warning) log.warn(msg->text);
        if (msg->type == SyncType::SeccompListener) {
            Json state = {{"ociVersion", "1.2.0"},
                          {"id", o.id},
                          {"status", "running"},
                          {"pid", record.pid},
                          {"bundle", record.bundle}};
            auto sent =
                forward_seccomp_listener(seccomp, child.pidfd(), child.pid(), msg->text, state);
            if (!sent) {
                (void)parent_sync.send(SyncType::Error, sent.error().message());
                (void)child.wait();
                return fail(std::move(sent).error());
            }
            TRY(parent_sync.send(SyncType::SeccompListenerDone));
            continue;
        }
        if (msg->type == SyncType::Error) {
            (void)child.wait();
            return fail(ErrorKind::Internal, msg->text);
        }
    }
}

}  // namespace

Result<int> Runtime::exec(const ExecOptions& o) {
    auto container = TRY(store_.open(o.id));
    auto record = TRY(container.load());
    Status status = container.status(record);
    if (status != Status::Running && status != Status::Created)
        return fail(ErrorKind::Conflict,
                    "cannot exec in a " + std::string(to_string(status)) + " container");
    auto spec = TRY(oci::parse_spec(TRY(read_json_file(container.path("config.json")))));
    auto process = TRY(exec_process(o, spec));
    // An exec'd process runs under the container's seccomp profile, like its init.
    SeccompFilter seccomp;
    if (!spec.linux.seccomp.is_null()) {
        std::vector<std::string> warnings;
        seccomp = TRY_CTX(compile_seccomp(spec.linux.seccomp, warnings), "linux.seccomp");
    }
    bool proxy_terminal = process.terminal && o.console_socket.empty() && o.console_fd < 0;
    if (proxy_terminal && o.detach)
        return fail(ErrorKind::InvalidArgument,
                    "cannot allocate a terminal for a detached exec without --console-socket");
    auto init = TRY(open_container_init(record));
    int flags = TRY(enter_pid_namespace_and_list_others(record.pid, init.pidfd.get()));
    auto [console, console_receiver] =
        TRY(open_console_ends(process.terminal, proxy_terminal, o.console_socket, o.console_fd));
    // The container's lock is not needed past this point, and holding it would block `kill`.
    { LockedContainer release_lock = std::move(container); }

    auto [parent_sync, child_sync] = TRY(make_sync_pair());
    std::optional<BlockedSignals> blocked;
    if (!o.detach) blocked.emplace();
    ExecChildConfig config;
    config.process = &process;
    config.container_pidfd = init.pidfd.get();
    config.namespace_flags = flags;
    config.container_root = init.root.get();
    config.sync = &child_sync;
    config.console_socket = console.get();
    config.preserve_fds = o.preserve_fds;
    config.seccomp = &seccomp;
    auto cgroup = TRY(open_cgroup(record));
    auto join = prepare_cgroup_join(cgroup.get(), config);
    ChildProcess child = TRY(clone_exec_child(config, join, parent_sync));
    child_sync.close();
    console.reset();
    join = {};
    if (cgroup && config.wait_for_parent) {
        TRY_CTX(cgroup->add_process(child.pid()), "join the container's cgroup");
        TRY(parent_sync.send(SyncType::Mapped));
    }
    TRY(serve_until_exec(o, record, seccomp, child, parent_sync, log_));
    TRY(write_pid_file(o.pid_file, child.pid()));
    if (o.detach) {
        child.release();
        return 0;
    }
    UniqueFd master;
    if (proxy_terminal) master = TRY_CTX(receive_fd(console_receiver.get()), "receive terminal");
    return supervise(child, *blocked, std::move(master));
}

}  // namespace berth::runtime
