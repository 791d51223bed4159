#include "runtime/container_init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/keyctl.h>

#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/inherited_fds.h"
#include "runtime/network_namespace.h"
#include "runtime/process_setup.h"
#include "runtime/rootfs.h"

namespace berth::runtime {

namespace {

// Reports the error to the parent and ends the child.
[[noreturn]] void die(const SyncSocket& sync, const Error& error) {
    (void)sync.send(SyncType::Error, error.message());
    ::_exit(1);
}

Result<void> write_sysctls(const std::map<std::string, std::string>& sysctls) {
    for (const auto& [key, value] : sysctls) {
        std::string path = "/proc/sys/";
        for (char c : key)
            path += c == '.' ? '/' : c;
        TRY_CTX(write_file(path, value), "set sysctl " + key);
    }
    return {};
}

// Installs the container's seccomp filter. A notifying filter's listener fd is announced to the
// runtime by number; it copies the fd with pidfd_getfd() and hands it to the agent at
// listenerPath, so that nothing but write(2) and the wait for the reply runs before the agent
// has it.
Result<void> install_filter(const SeccompFilter* filter, const SyncSocket& sync) {
    if (filter == nullptr || filter->empty()) return {};
    auto listener = TRY(install_seccomp(*filter));
    if (listener) {
        TRY(sync.send(SyncType::SeccompListener, std::to_string(listener.get())));
        TRY(sync.expect(SyncType::SeccompListenerDone));
    }
    return {};
}

// Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the user switch drops
// capabilities; with it, as late as possible.
bool filter_before_user_switch(const oci::Process& process) {
    return !process.no_new_privileges;
}

// Writes "0" into each v1 `tasks` file we were handed (cgroups::JoinAtBirth) and closes it: an
// fd on the host's cgroup tree is the last thing a container process may keep.
Result<void> join_cgroup_ourselves(const std::vector<int>& tasks_fds) {
    for (int fd : tasks_fds) {
        if (::write(fd, "0", 1) != 1) return fail_errno("join the container's cgroup");
        ::close(fd);
    }
    return {};
}

// The init's first steps, while our credentials are still the runtime's: /proc/self of a
// non-dumpable process belongs to the host's root, which the root of a user namespace of ours is
// not, so what we write there (oom_score_adj, timens_offsets) comes before we become that root.
Result<void> enter_namespaces(const InitConfig& config) {
    const oci::Spec& spec = *config.spec;
    TRY(join_cgroup_ourselves(config.cgroup_self_join_fds));
    if (spec.process->oom_score_adj) TRY(set_oom_score_adj(*spec.process->oom_score_adj));
    if (config.wait_for_parent) TRY(config.sync->expect(SyncType::Mapped));
    TRY(join_namespaces(config.plan));
    if (config.network_namespace >= 0) {
        if (::setns(config.network_namespace, CLONE_NEWNET) < 0)
            return fail_errno("join the new network namespace");
        ::close(config.network_namespace);
    }
    if (config.plan.new_time) TRY(enter_new_time_namespace(spec.linux.time_offsets));
    if (config.plan.new_user) {
        // Become root of the new user namespace where root is mapped; the capabilities we hold
        // as its creator suffice otherwise.
        (void)::syscall(SYS_setresgid, 0, 0, 0);
        (void)::syscall(SYS_setresuid, 0, 0, 0);
    }
    return {};
}

struct Program {
    std::string executable;
    std::vector<std::string> env;
};

// The last steps before execve, the same for an init and an exec'd process. From here on paths
// of the image and the configuration are resolved (the executable, HOME, the cwd), so nothing
// but what the program inherits and `keep` (our sync channels) may be open (inherited_fds.h).
Result<Program> prepare_program(const oci::Process& process, int preserve_fds,
                                std::initializer_list<int> keep, const SeccompFilter* seccomp,
                                const SyncSocket& sync, std::vector<std::string>& warnings) {
    close_fds_except(preserve_fds, keep);
    Program program{TRY(find_executable(process)), process_environment(process)};
    bool cwd_entered = TRY(try_enter_cwd(process));
    if (filter_before_user_switch(process)) TRY(install_filter(seccomp, sync));
    TRY(switch_user(process, warnings));
    if (!cwd_entered) TRY(enter_cwd(process));  // a cwd only the container's user may enter
    close_fds_on_exec(3 + preserve_fds);
    if (!filter_before_user_switch(process)) TRY(install_filter(seccomp, sync));
    return program;
}

void send_warnings(const SyncSocket& sync, std::vector<std::string>& warnings) {
    for (const auto& w : warnings)
        (void)sync.send(SyncType::Warning, w);
    warnings.clear();
}

Result<void> init_steps(const InitConfig& config, std::vector<std::string>& warnings,
                        Program& program, Json& state_for_hooks) {
    const oci::Spec& spec = *config.spec;
    const oci::Process& process = *spec.process;
    const SyncSocket& sync = *config.sync;

    TRY(enter_namespaces(config));
    int unshare_flags = config.plan.unshare_flags;
    // A cgroup namespace is rooted where we are when we make it: wait for the cgroup join.
    bool new_cgroup_ns = (unshare_flags & CLONE_NEWCGROUP) != 0;
    if (config.cgroup_join_pending) unshare_flags &= ~CLONE_NEWCGROUP;
    if (unshare_flags && ::unshare(unshare_flags) < 0) return fail_errno("unshare namespaces");
    if (unshare_flags & CLONE_NEWNET) TRY(bring_loopback_up());
    bool cgroup_joined = !config.cgroup_join_pending;
    auto await_cgroup = [&]() -> Result<void> {
        if (cgroup_joined) return {};
        cgroup_joined = true;
        TRY(sync.expect(SyncType::CgroupJoined));
        if (new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) < 0)
            return fail_errno("unshare cgroup namespace");
        return {};
    };

    ::umask(0);
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
        return fail_errno("set hostname " + spec.hostname);
    if (!spec.domainname.empty() &&
        ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
        return fail_errno("set domainname " + spec.domainname);

    bool has_mount_ns = spec.linux.find_namespace("mount") != nullptr;
    bool in_userns = spec.linux.find_namespace("user") != nullptr;
    // With the namespaces made and the mounts in place: the runtime's prestart and createRuntime
    // hooks (run by the parent), then createContainer hooks here, before the root is switched.
    auto hooks_moment = [&]() -> Result<void> {
        if (!config.hooks_before_switch) return {};
        TRY(sync.send(SyncType::Hooks));
        auto reply = TRY(sync.receive());
        if (reply.type == SyncType::Error) return fail(ErrorKind::Internal, reply.text);
        if (reply.type != SyncType::HooksDone)
            return fail(ErrorKind::Internal, "sync: unexpected reply to hooks request");
        state_for_hooks = TRY(parse_json(reply.text, "container state"));
        return run_hooks(spec.hooks.create_container, state_for_hooks, "createContainer");
    };
    if (has_mount_ns) {
        RootfsOptions options;
        options.rootfs = config.rootfs;
        options.bundle = config.bundle;
        options.in_user_namespace = in_userns;
        options.no_pivot = config.no_pivot;
        options.own_cgroup_namespace = spec.linux.find_namespace("cgroup") != nullptr;
        options.warnings = &warnings;
        options.before_cgroup_mount = await_cgroup;
        options.before_switch = [&]() -> Result<void> {
            TRY(await_cgroup());
            return hooks_moment();
        };
        TRY(prepare_rootfs(spec, options));
    } else {
        if (!spec.mounts.empty())
            warnings.push_back("mounts are ignored without a mount namespace");
        TRY(await_cgroup());
        TRY(hooks_moment());
        TRY(chroot_rootfs(config.rootfs));
    }
    if (process.terminal)
        TRY(setup_console(config.console_socket, process.console_size, has_mount_ns));
    TRY(write_sysctls(spec.linux.sysctl));
    if (has_mount_ns) TRY(finalize_rootfs(spec, in_userns));

    TRY(apply_rlimits(process.rlimits));
    if (!config.no_new_keyring) {
        // A fresh session keyring, so the container cannot see the host's keys.
        (void)::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr);
    }
    program = TRY(prepare_program(process, config.preserve_fds, {sync.fd(), config.exec_fifo},
                                  config.seccomp, sync, warnings));
    return {};
}

}  // namespace

Result<void> forward_seccomp_listener(const SeccompFilter& filter, int child_pidfd, pid_t child_pid,
                                      const std::string& fd_number, const Json& state) {
    auto number = parse_int<int>(fd_number);
    if (!number)
        return fail(ErrorKind::Internal, "seccomp listener: bad fd number \"" + fd_number + "\"");
    int fd = static_cast<int>(::syscall(SYS_pidfd_getfd, child_pidfd, *number, 0));
    if (fd < 0) return fail_errno("copy the seccomp listener fd from the container");
    UniqueFd listener(fd);
    return send_listener_fd(filter, listener.get(), child_pid, state);
}

void reset_signals() {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
        ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void run_container_init(const InitConfig& config) {
    const SyncSocket& sync = *config.sync;
    // As in run_exec_child: not dumpable until execve, and nothing of the runtime's fds but what
    // we need (the state lock goes with the rest: it stays with the runtime).
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::vector<int> needed{sync.fd(), config.console_socket, config.exec_fifo,
                            config.network_namespace};
    needed.insert(needed.end(), config.cgroup_self_join_fds.begin(),
                  config.cgroup_self_join_fds.end());
    close_fds_except(config.preserve_fds, needed);
    reset_signals();
    // Die with the runtime while we are being set up; cleared before we report ready.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);

    std::vector<std::string> warnings;
    Program program;
    Json state;
    if (auto r = init_steps(config, warnings, program, state); !r) die(sync, r.error());
    send_warnings(sync, warnings);

    ::prctl(PR_SET_PDEATHSIG, 0);
    if (auto r = sync.send(SyncType::Ready); !r) ::_exit(1);
    if (config.start == StartSignal::ExecFifo) {
        // `start` writes one byte into the fifo; anything else means we should not run.
        char byte = 0;
        ssize_t n;
        while ((n = ::read(config.exec_fifo, &byte, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1) ::_exit(1);
        // Left open (close-on-exec): `start` waits for it to close to know the program runs.
    } else if (auto r = sync.expect(SyncType::Go); !r) {
        ::_exit(1);
    }
    if (!config.spec->hooks.start_container.empty()) {
        state["status"] = "created";
        if (auto r = run_hooks(config.spec->hooks.start_container, state, "startContainer"); !r) {
            (void)sync.send(SyncType::Error, r.error().message());
            std::string line = "berth-runtime: " + r.error().message() + "\n";
            (void)!::write(2, line.data(), line.size());
            ::_exit(1);
        }
    }
    Error error = exec_program(program.executable, *config.spec->process, program.env);
    (void)sync.send(SyncType::Error, error.message());
    std::string line = "berth-runtime: " + error.message() + "\n";
    (void)!::write(2, line.data(), line.size());
    ::_exit(127);
}

void run_exec_child(const ExecChildConfig& config) {
    const SyncSocket& sync = *config.sync;
    const oci::Process& process = *config.process;
    // Nothing in the container may ptrace us or open our /proc files (our fds, our exe) while we
    // still run the runtime's code; execve makes the program dumpable again.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::vector<int> needed{sync.fd(), config.container_pidfd, config.container_root,
                            config.console_socket};
    needed.insert(needed.end(), config.cgroup_self_join_fds.begin(),
                  config.cgroup_self_join_fds.end());
    close_fds_except(config.preserve_fds, needed);
    reset_signals();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);

    std::vector<std::string> warnings;
    auto steps = [&]() -> Result<Program> {
        TRY(join_cgroup_ourselves(config.cgroup_self_join_fds));
        if (config.wait_for_parent) TRY(sync.expect(SyncType::Mapped));
        if (config.namespace_flags && ::setns(config.container_pidfd, config.namespace_flags) < 0)
            return fail_errno("join the container's namespaces");
        // The container's root as its init sees it (pivot_root or chroot alike).
        if (::fchdir(config.container_root) < 0 || ::chroot(".") < 0)
            return fail_errno("enter the container's root");
        ::close(config.container_pidfd);
        ::close(config.container_root);
        if (process.terminal) {
            TRY(setup_console(config.console_socket, process.console_size, false));
            ::close(config.console_socket);
        }
        TRY(apply_rlimits(process.rlimits));
        if (process.oom_score_adj) TRY(set_oom_score_adj(*process.oom_score_adj));
        return prepare_program(process, config.preserve_fds, {sync.fd()}, config.seccomp, sync,
                               warnings);
    };
    auto prepared = steps();
    if (!prepared) die(sync, prepared.error());
    send_warnings(sync, warnings);
    // The sync socket is close-on-exec: the parent sees it close when execve succeeds. A
    // detached exec must outlive the runtime, so the death signal goes now.
    ::prctl(PR_SET_PDEATHSIG, 0);
    Error error = exec_program(prepared->executable, process, prepared->env);
    die(sync, error);
}

}  // namespace berth::runtime
