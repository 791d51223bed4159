#include "runtime/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>

#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/capabilities.h"

namespace berth::runtime {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct RlimitName {
    const char* name;
    int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
    for (const auto& e : env)
        if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 && e[key.size()] == '=')
            return e.substr(key.size() + 1);
    return {};
}

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
           ::access(path.c_str(), X_OK) == 0;
}

std::string home_of(uid_t uid) {
    auto passwd = read_file("/etc/passwd");
    if (!passwd) return "/";
    size_t pos = 0;
    while (pos < passwd->size()) {
        size_t end = passwd->find('\n', pos);
        if (end == std::string::npos) end = passwd->size();
        std::string line = passwd->substr(pos, end - pos);
        pos = end + 1;
        // name:password:uid:gid:gecos:home:shell
        std::vector<std::string> fields;
        size_t start = 0;
        for (;;) {
            size_t colon = line.find(':', start);
            fields.push_back(line.substr(start, colon - start));
            if (colon == std::string::npos) break;
            start = colon + 1;
        }
        if (fields.size() >= 6 && fields[2] == std::to_string(uid)) return fields[5];
    }
    return "/";
}

}  // namespace

Result<uint32_t> parse_id(std::string_view text, std::string_view what) {
    if (auto value = parse_int<uint32_t>(text)) return *value;
    return fail(ErrorKind::InvalidArgument,
                "invalid " + std::string(what) + " \"" + std::string(text) + "\"");
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
    std::string key = entry.substr(0, entry.find('='));
    for (auto& e : env) {
        if (e.compare(0, key.size() + 1, key + "=") == 0) {
            e = entry;
            return;
        }
    }
    env.push_back(entry);
}

Result<std::string> find_executable(const oci::Process& process) {
    const std::string& name = process.args.front();
    if (name.find('/') != std::string::npos) {
        struct stat st {};
        if (::stat(name.c_str(), &st) < 0)
            return fail(Error::from_errno("exec: \"" + name + "\"", errno));
        if (S_ISDIR(st.st_mode))
            return fail(ErrorKind::PermissionDenied, "exec: \"" + name + "\": is a directory");
        return name;
    }
    std::string path = env_value(process.env, "PATH");
    if (path.empty()) path = kDefaultPath;
    size_t start = 0;
    for (;;) {
        size_t colon = path.find(':', start);
        std::string_view dir = std::string_view(path).substr(
            start, colon == std::string::npos ? std::string::npos : colon - start);
        // An empty entry is the current directory, as in execvp().
        std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + name;
        if (is_executable_file(candidate)) return candidate;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return fail(ErrorKind::NotFound, "exec: \"" + name + "\": executable file not found in $PATH");
}

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        int resource = -1;
        for (const auto& known : kRlimits)
            if (r.type == known.name) resource = known.resource;
        if (resource < 0) return fail(ErrorKind::InvalidArgument, "unknown rlimit " + r.type);
        rlimit limit{r.soft, r.hard};
        if (::prlimit(0, static_cast<__rlimit_resource>(resource), &limit, nullptr) < 0)
            return fail_errno("set " + r.type);
    }
    return {};
}

Result<void> set_oom_score_adj(int adj) {
    TRY_CTX(write_file("/proc/self/oom_score_adj", std::to_string(adj)), "set oom_score_adj");
    return {};
}

Result<void> switch_user(const oci::Process& process, std::vector<std::string>& warnings) {
    const auto& user = process.user;
    CapabilityMasks masks;
    if (process.capabilities) {
        std::vector<std::string> unknown;
        masks = capability_masks(*process.capabilities, unknown);
        for (const auto& name : unknown)
            warnings.push_back("unknown capability \"" + name + "\" ignored");
        TRY(drop_bounding_set(masks));
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return fail_errno("keep capabilities");
    }
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
        return fail_errno("setgroups");
    // The raw syscalls: glibc's wrappers would broadcast to all threads, and we have one.
    if (::syscall(SYS_setresgid, user.gid, user.gid, user.gid) < 0)
        return fail_errno("setgid " + std::to_string(user.gid));
    if (::syscall(SYS_setresuid, user.uid, user.uid, user.uid) < 0)
        return fail_errno("setuid " + std::to_string(user.uid));
    if (process.capabilities) {
        if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return fail_errno("clear keep capabilities");
        TRY(apply_capability_sets(masks));
    }
    if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail_errno("set no_new_privs");
    ::umask(user.umask.value_or(022));
    return {};
}

namespace {

std::string cwd_context(const oci::Process& process) {
    return "chdir to cwd (\"" + process.cwd + "\") set in config.json";
}

Result<void> verify_cwd_inside_root(const oci::Process& process) {
    char path[PATH_MAX + 1];
    // The raw system call: glibc's getcwd() turns the "(unreachable)" prefix, which the kernel
    // gives a directory outside our root, into ENOENT.
    if (::syscall(SYS_getcwd, path, sizeof path) < 0)
        return fail_errno(cwd_context(process) + ": getcwd");
    if (path[0] != '/')
        return fail(ErrorKind::PermissionDenied,
                    cwd_context(process) +
                        ": the directory lies outside the container's root (a container escape?)");
    return {};
}

}  // namespace

Result<void> enter_cwd(const oci::Process& process) {
    if (::chdir(process.cwd.c_str()) < 0) return fail_errno(cwd_context(process));
    return verify_cwd_inside_root(process);
}

Result<bool> try_enter_cwd(const oci::Process& process) {
    if (::chdir(process.cwd.c_str()) < 0) return false;
    TRY(verify_cwd_inside_root(process));
    return true;
}

std::vector<std::string> process_environment(const oci::Process& process) {
    std::vector<std::string> env = process.env;
    bool has_home = false;
    for (const auto& e : env)
        has_home = has_home || e.rfind("HOME=", 0) == 0;
    if (!has_home) env.push_back("HOME=" + home_of(process.user.uid));
    return env;
}

void close_fds_on_exec(int first_to_close) {
    if (::syscall(SYS_close_range, first_to_close, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    // Kernels before 5.11: walk the open fds instead.
    for (int fd = first_to_close; fd < 65536; ++fd)
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

Error exec_program(const std::string& path, const oci::Process& process,
                   const std::vector<std::string>& env) {
    std::vector<char*> argv;
    argv.reserve(process.args.size() + 1);
    for (const auto& a : process.args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const auto& e : env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(path.c_str(), argv.data(), envp.data());
    return Error::from_errno("exec " + path);
}

}  // namespace berth::runtime
