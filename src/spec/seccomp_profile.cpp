#include "spec/seccomp_profile.h"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <string_view>

#include "base/kernel_version.h"
#include "base/parse_int.h"

namespace berth::spec {

namespace {

// Splits a space-separated list of names.
std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(' ', pos);
        if (end == std::string_view::npos) end = text.size();
        if (end > pos) out.emplace_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

Json allow(std::string_view names, const Json& extra = Json::object()) {
    Json rule = {{"names", words(names)}, {"action", "SCMP_ACT_ALLOW"}};
    rule.update(extra);
    return rule;
}

Json arg(unsigned index, uint64_t value, std::string_view op) {
    return Json::array({{{"index", index}, {"value", value}, {"op", op}}});
}

Json only_arches(std::string_view arches) {
    return {{"includes", {{"arches", words(arches)}}}};
}

Json only_with_cap(std::string_view cap) {
    return {{"includes", {{"caps", {cap}}}}};
}

// The syscalls every container may make: docker's unconditional allow list.
constexpr std::string_view kAllowed =
    "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
    "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
    "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
    "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
    "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
    "flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 "
    "fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
    "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 "
    "getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid "
    "getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit "
    "get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
    "gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init "
    "inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents "
    "io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule "
    "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
    "listen listmount listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr "
    "lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir "
    "mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify "
    "mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink "
    "mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at "
    "nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal "
    "pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv "
    "preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read "
    "readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg "
    "remap_file_pages removexattr removexattrat rename renameat renameat2 restart_syscall "
    "riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo "
    "rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo "
    "sched_getaffinity sched_getattr sched_getparam sched_get_priority_max "
    "sched_get_priority_min sched_getscheduler sched_rr_get_interval "
    "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
    "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
    "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 "
    "setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority "
    "setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 "
    "setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid "
    "setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
    "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
    "statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time "
    "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
    "uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid "
    "write writev";

// clone(2) flags that create namespaces (CLONE_NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID |
// NEWNET | NEWCGROUP): without CAP_SYS_ADMIN, clone is allowed only with none of them set.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

// personality(2) values a container may set: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32,
// and 0xffffffff (the query).
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

// docker's native architecture names and the libseccomp architectures they stand for.
struct ArchName {
    std::string_view machine;  // uname -m
    std::string_view docker;
    std::string_view scmp;
};
constexpr ArchName kArchNames[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64"},
    {"i686", "x86", "SCMP_ARCH_X86"},
    {"i386", "x86", "SCMP_ARCH_X86"},
    {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
    {"armv7l", "arm", "SCMP_ARCH_ARM"},
    {"armv8l", "arm", "SCMP_ARCH_ARM"},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
    {"ppc64", "ppc64", "SCMP_ARCH_PPC64"},
    {"s390x", "s390x", "SCMP_ARCH_S390X"},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
    {"loongarch64", "loong64", "SCMP_ARCH_LOONGARCH64"},
    {"mips64", "mips64", "SCMP_ARCH_MIPS64"},
};

std::string_view scmp_arch_of(std::string_view docker_arch) {
    for (const auto& a : kArchNames)
        if (a.docker == docker_arch) return a.scmp;
    return {};
}

// libseccomp's architecture names for the includes/excludes "arches" lists ("amd64", "x32", …)
// are docker's; profiles also use "x32" and "mipsel…", which only match when the native arch
// has that name, as in docker.
bool contains(const Json& list, std::string_view value) {
    if (!list.is_array()) return false;
    return std::any_of(list.begin(), list.end(), [&](const Json& item) {
        return item.is_string() && item.get_ref<const std::string&>() == value;
    });
}

bool has_cap(const std::vector<std::string>& caps, const Json& cap) {
    return cap.is_string() &&
           std::find(caps.begin(), caps.end(), cap.get_ref<const std::string&>()) != caps.end();
}

// "4.8" → {4, 8}.
Result<std::pair<int, int>> parse_kernel_version(const Json& value, const std::string& where) {
    if (!value.is_string())
        return fail(ErrorKind::InvalidArgument, where + ": must be a string like \"4.8\"");
    const std::string& text = value.get_ref<const std::string&>();
    if (auto major = parse_int_prefix<int>(text)) {
        auto [number, rest] = *major;
        if (rest.empty()) return std::pair{number, 0};
        auto minor = rest.starts_with('.') ? parse_int<int>(rest.substr(1)) : std::nullopt;
        if (minor) return std::pair{number, *minor};
    }
    return fail(ErrorKind::InvalidArgument, where + ": invalid kernel version \"" + text + "\"");
}

// Whether an includes/excludes object matches. `all_caps`: includes need every capability listed,
// excludes need any one of them.
Result<bool> condition_holds(const Json& cond, bool is_include,
                             const std::vector<std::string>& caps, const SeccompHost& host,
                             const std::string& where) {
    if (!cond.is_object()) return fail(ErrorKind::InvalidArgument, where + ": must be an object");
    auto arches = cond.find("arches");
    auto cap_list = cond.find("caps");
    auto min_kernel = cond.find("minKernel");
    bool has_arches = arches != cond.end() && arches->is_array() && !arches->empty();
    bool has_caps = cap_list != cond.end() && cap_list->is_array() && !cap_list->empty();
    bool has_kernel = min_kernel != cond.end() && !min_kernel->is_null();
    std::pair<int, int> kernel{0, 0};
    if (has_kernel) kernel = TRY(parse_kernel_version(*min_kernel, where + ".minKernel"));
    bool kernel_ok = std::pair{host.kernel_major, host.kernel_minor} >= kernel;

    if (is_include) {
        if (has_arches && !contains(*arches, host.arch)) return false;
        if (has_caps && !std::all_of(cap_list->begin(), cap_list->end(),
                                     [&](const Json& c) { return has_cap(caps, c); }))
            return false;
        if (has_kernel && !kernel_ok) return false;
        return true;
    }
    // An exclude matches (drops the rule) when any of its parts matches.
    if (has_arches && contains(*arches, host.arch)) return true;
    if (has_caps && std::any_of(cap_list->begin(), cap_list->end(),
                                [&](const Json& c) { return has_cap(caps, c); }))
        return true;
    if (has_kernel && kernel_ok) return true;
    return false;
}

// Copies the keys the OCI syscall object has.
Json oci_syscall(const Json& entry) {
    Json out = Json::object();
    for (const char* key : {"names", "action", "errnoRet", "args"}) {
        auto it = entry.find(key);
        if (it != entry.end() && !it->is_null()) out[key] = *it;
    }
    return out;
}

bool libseccomp_knows(const std::string& name) {
    return seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR;
}

}  // namespace

SeccompHost SeccompHost::detect() {
    SeccompHost host;
    utsname u{};
    if (::uname(&u) != 0) return host;
    std::string_view machine = u.machine;
    for (const auto& a : kArchNames) {
        if (a.machine == machine) {
            host.arch = std::string(a.docker);
            break;
        }
    }
    if (host.arch.empty()) host.arch = std::string(machine);
    KernelVersion kernel = kernel_version_of(u.release);
    host.kernel_major = kernel.major;
    host.kernel_minor = kernel.minor;
    return host;
}

Json docker_default_seccomp_profile() {
    Json rules = Json::array();
    rules.push_back(allow(kAllowed));
    rules.push_back(
        allow("process_vm_readv process_vm_writev ptrace", {{"includes", {{"minKernel", "4.8"}}}}));
    // socket(2) for every address family but AF_VSOCK (40), as docker's profile has it.
    rules.push_back(allow("socket", {{"args", arg(0, 40, "SCMP_CMP_NE")}}));
    for (uint64_t persona : kPersonalities)
        rules.push_back(allow("personality", {{"args", arg(0, persona, "SCMP_CMP_EQ")}}));
    rules.push_back(allow("sync_file_range2 swapcontext", only_arches("ppc64le")));
    rules.push_back(
        allow("arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint "
              "cacheflush set_tls",
              only_arches("arm arm64")));
    rules.push_back(allow("arch_prctl", only_arches("amd64 x32")));
    rules.push_back(allow("modify_ldt", only_arches("amd64 x32 x86")));
    rules.push_back(allow("s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr",
                          only_arches("s390 s390x")));
    rules.push_back(allow("riscv_flush_icache", only_arches("riscv64")));
    rules.push_back(allow("open_by_handle_at", only_with_cap("CAP_DAC_READ_SEARCH")));
    rules.push_back(
        allow("bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick "
              "lookup_dcookie lsm_get_self_attr lsm_list_modules lsm_set_self_attr "
              "mount mount_setattr move_mount open_tree perf_event_open quotactl "
              "quotactl_fd setdomainname sethostname setns syslog umount umount2 "
              "unshare",
              only_with_cap("CAP_SYS_ADMIN")));
    // Without CAP_SYS_ADMIN: clone without namespace flags (the flags are the second argument
    // on s390), and clone3 answers ENOSYS so that libcs fall back to clone, whose flags the
    // filter can see.
    rules.push_back(allow(
        "clone", {{"args", arg(0, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")},
                  {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390", "s390x"}}}}}));
    rules.push_back(allow("clone", {{"args", arg(1, kCloneNamespaceFlags, "SCMP_CMP_MASKED_EQ")},
                                    {"includes", {{"arches", {"s390", "s390x"}}}},
                                    {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}}));
    rules.push_back({{"names", {"clone3"}},
                     {"action", "SCMP_ACT_ERRNO"},
                     {"errnoRet", 38},  // ENOSYS
                     {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}});
    rules.push_back(allow("reboot", only_with_cap("CAP_SYS_BOOT")));
    rules.push_back(allow("chroot", only_with_cap("CAP_SYS_CHROOT")));
    rules.push_back(
        allow("delete_module init_module finit_module", only_with_cap("CAP_SYS_MODULE")));
    rules.push_back(allow("acct", only_with_cap("CAP_SYS_PACCT")));
    rules.push_back(
        allow("kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev "
              "ptrace",
              only_with_cap("CAP_SYS_PTRACE")));
    rules.push_back(allow("iopl ioperm", only_with_cap("CAP_SYS_RAWIO")));
    rules.push_back(
        allow("settimeofday stime clock_settime clock_settime64", only_with_cap("CAP_SYS_TIME")));
    rules.push_back(allow("vhangup", only_with_cap("CAP_SYS_TTY_CONFIG")));
    rules.push_back(allow("get_mempolicy mbind set_mempolicy set_mempolicy_home_node",
                          only_with_cap("CAP_SYS_NICE")));
    rules.push_back(allow("syslog", only_with_cap("CAP_SYSLOG")));
    rules.push_back(allow("bpf", only_with_cap("CAP_BPF")));
    rules.push_back(allow("perf_event_open", only_with_cap("CAP_PERFMON")));

    auto arch_map = [](std::string_view arch, std::initializer_list<std::string_view> subs) {
        Json sub = Json::array();
        for (auto s : subs)
            sub.push_back(s);
        return Json{{"architecture", arch}, {"subArchitectures", sub}};
    };
    return {
        {"defaultAction", "SCMP_ACT_ERRNO"},
        {"defaultErrnoRet", 1},  // EPERM
        {"archMap",
         {arch_map("SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}),
          arch_map("SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}),
          arch_map("SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}),
          arch_map("SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}),
          arch_map("SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}),
          arch_map("SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}),
          arch_map("SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}), arch_map("SCMP_ARCH_RISCV64", {}),
          arch_map("SCMP_ARCH_LOONGARCH64", {})}},
        {"syscalls", rules},
    };
}

Result<Json> resolve_seccomp_profile(const Json& profile, const std::vector<std::string>& caps,
                                     const SeccompHost& host) {
    const std::string where = "seccomp profile";
    if (!profile.is_object())
        return fail(ErrorKind::InvalidArgument, where + ": must be a JSON object");
    auto non_empty = [&](const char* key) {
        auto it = profile.find(key);
        return it != profile.end() && !it->is_null() && !(it->is_string() && it->empty()) &&
               !(it->is_array() && it->empty());
    };
    if (!non_empty("defaultAction") && !non_empty("syscalls")) return Json();
    if (non_empty("architectures") && non_empty("archMap")) {
        return fail(ErrorKind::InvalidArgument,
                    where + ": both 'architectures' and 'archMap' are specified, use one");
    }

    Json out = Json::object();
    for (const char* key : {"defaultAction", "defaultErrnoRet", "architectures", "flags",
                            "listenerPath", "listenerMetadata"}) {
        auto it = profile.find(key);
        if (it != profile.end() && !it->is_null()) out[key] = *it;
    }
    if (non_empty("archMap")) {
        const Json& map = profile["archMap"];
        if (!map.is_array())
            return fail(ErrorKind::InvalidArgument, where + ".archMap: must be an array");
        std::string_view native = scmp_arch_of(host.arch);
        for (const Json& entry : map) {
            if (!entry.is_object()) continue;
            auto arch = entry.find("architecture");
            if (arch == entry.end() || !arch->is_string() || native.empty() ||
                arch->get_ref<const std::string&>() != native)
                continue;
            Json archs = Json::array({*arch});
            auto subs = entry.find("subArchitectures");
            if (subs != entry.end() && subs->is_array())
                for (const Json& s : *subs)
                    archs.push_back(s);
            out["architectures"] = archs;
            break;
        }
    }

    Json syscalls = Json::array();
    auto list = profile.find("syscalls");
    if (list != profile.end() && !list->is_null()) {
        if (!list->is_array())
            return fail(ErrorKind::InvalidArgument, where + ".syscalls: must be an array");
        for (size_t i = 0; i < list->size(); ++i) {
            const Json& entry = (*list)[i];
            std::string at = where + ".syscalls[" + std::to_string(i) + "]";
            if (!entry.is_object())
                return fail(ErrorKind::InvalidArgument, at + ": must be an object");
            Json call = entry;
            auto name = entry.find("name");
            if (name != entry.end() && name->is_string() && !name->empty()) {
                auto names = entry.find("names");
                if (names != entry.end() && names->is_array() && !names->empty()) {
                    return fail(ErrorKind::InvalidArgument,
                                at + ": both 'name' and 'names' are specified, use one");
                }
                call["names"] = Json::array({*name});
            }
            if (auto ex = entry.find("excludes"); ex != entry.end() && !ex->is_null()) {
                if (TRY(condition_holds(*ex, false, caps, host, at + ".excludes"))) continue;
            }
            if (auto in = entry.find("includes"); in != entry.end() && !in->is_null()) {
                if (!TRY(condition_holds(*in, true, caps, host, at + ".includes"))) continue;
            }
            syscalls.push_back(oci_syscall(call));
        }
    }
    out["syscalls"] = syscalls;
    return out;
}

Result<Json> default_seccomp_profile(const std::vector<std::string>& caps,
                                     const SeccompHost& host) {
    Json resolved = TRY(resolve_seccomp_profile(docker_default_seccomp_profile(), caps, host));
    Json kept = Json::array();
    for (Json& call : resolved["syscalls"]) {
        Json names = Json::array();
        for (const Json& n : call["names"])
            if (libseccomp_knows(n.get<std::string>())) names.push_back(n);
        if (names.empty()) continue;
        call["names"] = std::move(names);
        kept.push_back(std::move(call));
    }
    resolved["syscalls"] = std::move(kept);
    return resolved;
}

Result<Json> DefaultSeccompProfiles::get(const std::vector<std::string>& caps) {
    std::vector<std::string> key = caps;
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
    std::lock_guard lock(mutex_);
    if (auto it = profiles_.find(key); it != profiles_.end()) return it->second;
    Json profile = TRY(default_seccomp_profile(key, host_));
    if (profiles_.size() >= kMaxProfiles) profiles_.clear();
    profiles_.emplace(std::move(key), profile);
    return profile;
}

}  // namespace berth::spec
