#include "runtime/namespaces.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "base/fs.h"

namespace berth::runtime {

Result<NamespacePlan> plan_namespaces(const oci::Linux& linux_config) {
    NamespacePlan plan;
    const oci::Namespace* user = linux_config.find_namespace("user");
    bool join_user = user != nullptr && !user->path.empty();
    if (join_user) plan.joins.push_back({CLONE_NEWUSER, user->path});
    for (const auto& ns : linux_config.namespaces) {
        int flag = oci::namespace_clone_flag(ns.type);
        if (flag == CLONE_NEWUSER) {
            if (ns.path.empty()) {
                plan.new_user = true;
                plan.clone_flags |= CLONE_NEWUSER;
            }
            continue;
        }
        if (flag == CLONE_NEWPID) {
            if (ns.path.empty()) {
                plan.clone_flags |= CLONE_NEWPID;
            } else {
                plan.join_pid = true;
                plan.pid_path = ns.path;
            }
            continue;
        }
        if (!ns.path.empty()) {
            plan.joins.push_back({flag, ns.path});
            continue;
        }
        if (flag == CLONE_NEWTIME) {
            plan.new_time = true;
            continue;
        }
        if (flag == CLONE_NEWNS) plan.new_mount = true;
        plan.unshare_flags |= flag;
    }
    if (const oci::Namespace* mnt = linux_config.find_namespace("mount"); mnt && !mnt->path.empty())
        plan.new_mount = false;
    return plan;
}

Result<void> join_namespaces(const NamespacePlan& plan) {
    for (const auto& join : plan.joins) {
        int fd = ::open(join.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail_errno("open namespace " + join.path);
        UniqueFd owned(fd);
        if (::setns(fd, join.flag) < 0) return fail_errno("join namespace " + join.path);
    }
    return {};
}

Result<void> enter_new_time_namespace(const std::map<std::string, oci::TimeOffset>& offsets) {
    if (::unshare(CLONE_NEWTIME) < 0) return fail_errno("unshare time namespace");
    if (!offsets.empty()) {
        std::string text;
        for (const auto& [clock, offset] : offsets)
            text += clock + " " + std::to_string(offset.secs) + " " +
                    std::to_string(offset.nanosecs) + "\n";
        TRY_CTX(write_file("/proc/self/timens_offsets", text), "set time namespace offsets");
    }
    // unshare() only moved our future children; setns() to that namespace moves us too.
    int fd = ::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open time namespace");
    UniqueFd owned(fd);
    if (::setns(fd, CLONE_NEWTIME) < 0) return fail_errno("enter time namespace");
    return {};
}

static std::string mapping_text(const std::vector<oci::IdMapping>& mappings) {
    std::string text;
    for (const auto& m : mappings)
        text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
                std::to_string(m.size) + "\n";
    return text;
}

Result<void> write_id_mappings(pid_t pid, const std::vector<oci::IdMapping>& uids,
                               const std::vector<oci::IdMapping>& gids) {
    std::string base = "/proc/" + std::to_string(pid);
    TRY_CTX(write_file(base + "/gid_map", mapping_text(gids)), "write gid mappings");
    TRY_CTX(write_file(base + "/uid_map", mapping_text(uids)), "write uid mappings");
    return {};
}

bool namespace_differs(pid_t pid, const char* proc_name) {
    struct stat theirs {
    }, ours{};
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + proc_name;
    std::string self = std::string("/proc/self/ns/") + proc_name;
    if (::stat(path.c_str(), &theirs) < 0 || ::stat(self.c_str(), &ours) < 0) return false;
    return theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev;
}

Result<pid_t> clone_child(int flags, int* pidfd, int cgroup_fd) {
    clone_args args{};
    args.flags = static_cast<uint64_t>(flags) | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return fail_errno("clone3");
    return static_cast<pid_t>(pid);
}

bool lacks_clone_into_cgroup(const Error& error) {
    return error.sys_errno() == EINVAL || error.sys_errno() == E2BIG;
}

}  // namespace berth::runtime
