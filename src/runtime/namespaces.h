// Which namespaces a container gets, and the kernel calls that put a process into them.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

struct NamespacePlan {
    // Namespaces made by clone3(): pid (it only applies to children) and user (so the parent can
    // write the child's id maps).
    int clone_flags = 0;
    // Namespaces the child makes with unshare() after joining the ones given by path, so that
    // new namespaces are owned by the right user namespace.
    int unshare_flags = 0;
    bool new_user = false;
    bool new_time = false;  // made in the child so that offsets can be written first
    bool new_mount = false;
    bool join_pid = false;  // a pid namespace path: joined by the parent before clone
    std::string pid_path;
    struct Join {
        int flag;
        std::string path;
    };
    std::vector<Join> joins;  // user first, then the rest, done by the child
};

Result<NamespacePlan> plan_namespaces(const oci::Linux& linux_config);

// clone3 of a child (returns 0 in it) in new namespaces `flags`, with a pidfd in `*pidfd` and
// SIGCHLD at its exit; born in the v2 cgroup `cgroup_fd` (CLONE_INTO_CGROUP) when that is >= 0.
Result<pid_t> clone_child(int flags, int* pidfd, int cgroup_fd = -1);
// Whether clone_child failed for want of CLONE_INTO_CGROUP (Linux < 5.7).
bool lacks_clone_into_cgroup(const Error& error);

// Child side: setns() into every namespace given by path.
Result<void> join_namespaces(const NamespacePlan& plan);

// Child side: a new time namespace with the configured clock offsets, entered at once.
Result<void> enter_new_time_namespace(const std::map<std::string, oci::TimeOffset>& offsets);

// Parent side: writes /proc/<pid>/{uid,gid}_map for a child in a new user namespace.
Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uids,
                               const std::vector<oci::IdMapping>& gids);

// True if process `pid` and the caller are in different namespaces of this kind ("net", "mnt"…).
bool namespace_differs(pid_t pid, const char* proc_name);

}  // namespace berth::runtime
