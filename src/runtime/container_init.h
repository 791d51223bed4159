// The code that runs in the child after clone3(), up to execve of the container's program: for a
// new container (its init) and for `exec` (a process joining a running container). Failures are
// sent to the parent over the sync socket as one-line messages, then the child exits.
#pragma once

#include <string>
#include <vector>

#include "oci/runtime_spec.h"
#include "runtime/namespaces.h"
#include "runtime/seccomp.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

enum class StartSignal {
    ExecFifo,  // `create`: block reading the exec fifo until `start` writes to it
    SyncGo,    // `run`: wait for a Go message on the sync socket
};

struct InitConfig {
    const oci::Spec* spec = nullptr;
    NamespacePlan plan;
    std::string rootfs;
    std::string bundle;
    const SyncSocket* sync = nullptr;
    int console_socket = -1;  // -1: no terminal handoff
    int exec_fifo = -1;
    StartSignal start = StartSignal::SyncGo;
    int preserve_fds = 0;
    bool no_pivot = false;
    bool no_new_keyring = false;
    // The parent waits for a Hooks request (prestart/createRuntime/createContainer hooks exist).
    bool hooks_before_switch = false;
    const SeccompFilter* seccomp = nullptr;  // null or empty: no filter
    // Wait for Mapped before anything else: the parent writes our id maps.
    bool wait_for_parent = false;
    // The parent moves us into the container's cgroup while we set up (a cgroup migration waits
    // for an RCU grace period, milliseconds better spent on mounts); CgroupJoined says it is done.
    // Nothing that depends on our cgroup (a cgroup namespace, a cgroup mount, exec) comes first.
    bool cgroup_join_pending = false;
    // A new network namespace made ahead (NetworkNamespaceInMaking), joined instead of making
    // one: plan.unshare_flags then lacks CLONE_NEWNET. -1: none.
    int network_namespace = -1;
    // v1 `tasks` files to write "0" into first thing: we join those hierarchies ourselves
    // (cgroups::JoinAtBirth); CgroupJoined then says the limits are in place.
    std::vector<int> cgroup_self_join_fds;
};

[[noreturn]] void run_container_init(const InitConfig& config);

struct ExecChildConfig {
    const oci::Process* process = nullptr;
    int container_pidfd = -1;
    int namespace_flags = 0;  // the namespaces of the container that differ from ours (not pid)
    int container_root = -1;  // O_PATH fd of /proc/<init>/root
    const SyncSocket* sync = nullptr;
    int console_socket = -1;
    int preserve_fds = 0;
    const SeccompFilter* seccomp = nullptr;
    bool wait_for_parent = false;  // the parent moves us into the container's cgroup first
    // Or we join its v1 hierarchies ourselves, writing "0" into these `tasks` files first thing
    // (cgroups::JoinAtBirth; a v2 cgroup we were born in).
    std::vector<int> cgroup_self_join_fds;
};

[[noreturn]] void run_exec_child(const ExecChildConfig& config);

// Parent side of a SeccompListener message: copies the listener fd out of the child (pidfd_getfd)
// and sends it to the agent at the filter's listenerPath with the container's state.
Result<void> forward_seccomp_listener(const SeccompFilter& filter, int child_pidfd, pid_t child_pid,
                                      const std::string& fd_number, const Json& state);

// Puts every signal back to its default disposition and unblocks them all (for a new child).
void reset_signals();

}  // namespace berth::runtime
