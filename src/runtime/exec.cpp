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

    int raw_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, record.pid, 0));
    if (raw_pidfd < 0) return fail_errno("open container init");
    UniqueFd init_pidfd(raw_pidfd);
    if (process_start_time(record.pid) != record.pid_start_time)
        return fail(ErrorKind::Conflict, "cannot exec in a stopped container");
    auto root = TRY(open_fd("/proc/" + std::to_string(record.pid) + "/root", O_PATH | O_DIRECTORY));

    int flags = 0;
    const std::pair<const char*, int> kinds[] = {
        {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"net", CLONE_NEWNET},
        {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS}, {"cgroup", CLONE_NEWCGROUP},
        {"time", CLONE_NEWTIME},
    };
    for (const auto& [name, flag] : kinds)
        if (namespace_differs(record.pid, name)) flags |= flag;
    // The pid namespace applies to our children: join it here, before clone.
    if (namespace_differs(record.pid, "pid") && ::setns(init_pidfd.get(), CLONE_NEWPID) < 0)
        return fail_errno("join the container's pid namespace");

    UniqueFd console, console_receiver;
    if (process.terminal) {
        if (proxy_terminal) {
            int pair[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                return fail_errno("socketpair");
            console_receiver.reset(pair[0]);
            console.reset(pair[1]);
        } else {
            console = TRY_CTX(console_channel(o.console_socket, o.console_fd), "console socket");
        }
    }
    // The container's lock is not needed past this point, and holding it would block `kill`.
    { LockedContainer release_lock = std::move(container); }

    auto [parent_sync, child_sync] = TRY(make_sync_pair());
    std::optional<BlockedSignals> blocked;
    if (!o.detach) blocked.emplace();
    ExecChildConfig config;
    config.process = &process;
    config.container_pidfd = init_pidfd.get();
    config.namespace_flags = flags;
    config.container_root = root.get();
    config.sync = &child_sync;
    config.console_socket = console.get();
    config.preserve_fds = o.preserve_fds;
    config.seccomp = &seccomp;
    // The process joins the container's cgroup (so that limits, ps, pause and kill --all see it).
    // It is born in the cgroup where it can be (cgroups::JoinAtBirth: no migration, no wait for
    // an RCU grace period); otherwise the parent moves it in.
    auto cgroup = TRY(open_cgroup(record));
    cgroups::JoinAtBirth join;
    bool parent_moves = false;
    if (cgroup) {
        auto prepared = cgroup->prepare_join_at_birth();
        parent_moves = !prepared;
        if (prepared) join = std::move(*prepared);
        for (const auto& fd : join.self_join)
            config.cgroup_self_join_fds.push_back(fd.get());
    }
    config.wait_for_parent = parent_moves;
    int pidfd = -1;
    bool born_in_cgroup = cgroup && join.clone_into.valid();
    auto cloned = clone_child(0, &pidfd, born_in_cgroup ? join.clone_into.get() : -1);
    if (!cloned && born_in_cgroup && lacks_clone_into_cgroup(cloned.error())) {
        // The parent moves the child in.
        parent_moves = true;
        config.wait_for_parent = true;
        config.cgroup_self_join_fds.clear();
        cloned = clone_child(0, &pidfd);
    }
    pid_t pid = TRY(std::move(cloned));
    if (pid == 0) {
        parent_sync.close();
        run_exec_child(config);
    }
    ChildProcess child(static_cast<pid_t>(pid), UniqueFd(pidfd));
    child_sync.close();
    console.reset();
    join = {};
    if (cgroup && parent_moves) {
        TRY_CTX(cgroup->add_process(static_cast<pid_t>(pid)), "join the container's cgroup");
        TRY(parent_sync.send(SyncType::Mapped));
    }
    for (;;) {
        auto msg = parent_sync.receive();
        if (!msg) break;  // closed on execve: the program runs
        if (msg->type == SyncType::Warning) log_.warn(msg->text);
        if (msg->type == SyncType::SeccompListener) {
            Json state = {{"ociVersion", "1.2.0"},
                          {"id", o.id},
                          {"status", "running"},
                          {"pid", record.pid},
                          {"bundle", record.bundle}};
            auto sent = forward_seccomp_listener(seccomp, child.pidfd(), static_cast<pid_t>(pid),
                                                 msg->text, state);
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
    if (!o.pid_file.empty()) {
        std::string path = o.pid_file;
        TRY_CTX(write_file_atomic(path, std::to_string(pid), 0644, Durability::Volatile),
                "write pid file");
    }
    if (o.detach) {
        child.release();
        return 0;
    }
    UniqueFd master;
    if (proxy_terminal) master = TRY_CTX(receive_fd(console_receiver.get()), "receive terminal");
    return supervise(child, *blocked, std::move(master));
}

}  // namespace berth::runtime
