// compile_seccomp's contract and the filters at work in real processes. What the compiled
// programs decide is checked input by input in seccomp_bpf_test.cpp.
#include "runtime/seccomp.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

#include "base/fd_passing.h"

namespace berth::runtime {
namespace {

uint32_t nr_of(const char* name, uint32_t arch = SCMP_ARCH_X86_64) {
    return static_cast<uint32_t>(seccomp_syscall_resolve_name_arch(arch, name));
}

SeccompFilter compile_ok(const Json& j, std::vector<std::string>* warnings = nullptr,
                         SeccompOptions options = {}) {
    std::vector<std::string> ignored;
    auto r = compile_seccomp(j, warnings ? *warnings : ignored, options);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message());
    return r ? std::move(*r) : SeccompFilter{};
}

Json docker_profile() {
    auto path =
        std::filesystem::path(__FILE__).parent_path() / "testdata" / "docker_default_seccomp.json";
    auto j = read_json_file(path.string());
    EXPECT_TRUE(j.has_value()) << path;
    return j ? *j : Json::object();
}

Error compile_error(const Json& j) {
    std::vector<std::string> warnings;
    auto r = compile_seccomp(j, warnings);
    EXPECT_FALSE(r.has_value());
    return r ? Error(ErrorKind::Internal, "compiled") : r.error();
}

// Runs `body` in a forked child with no_new_privs set; returns the child's wait status.
int in_child(const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(100);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

int exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// --- Parsing ---

TEST(Seccomp, UnknownActionIsNamed) {
    Error e = compile_error({{"defaultAction", "SCMP_ACT_FROB"}});
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(e.message().find("SCMP_ACT_FROB"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("linux.seccomp.defaultAction"), std::string::npos) << e.message();

    e = compile_error({{"defaultAction", "SCMP_ACT_ALLOW"},
                       {"syscalls", {{{"names", {"getpid"}}, {"action", "SCMP_ACT_NOPE"}}}}});
    EXPECT_NE(e.message().find("SCMP_ACT_NOPE"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("syscalls[0].action"), std::string::npos) << e.message();
}

TEST(Seccomp, UnknownArchitectureIsNamed) {
    Error e = compile_error({{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"architectures", {"SCMP_ARCH_X86", "SCMP_ARCH_Z80"}}});
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(e.message().find("SCMP_ARCH_Z80"), std::string::npos) << e.message();
}

TEST(Seccomp, UnknownOperatorIsNamed) {
    Error e =
        compile_error({{"defaultAction", "SCMP_ACT_ALLOW"},
                       {"syscalls",
                        {{{"names", {"personality"}},
                          {"action", "SCMP_ACT_ERRNO"},
                          {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_ROUGHLY"}}}}}}}});
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(e.message().find("SCMP_CMP_ROUGHLY"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("syscalls[0].args[0].op"), std::string::npos) << e.message();
}

TEST(Seccomp, UnknownFlagIsNamed) {
    Error e = compile_error(
        {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_FAST"}}});
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(e.message().find("SECCOMP_FILTER_FLAG_FAST"), std::string::npos) << e.message();
}

TEST(Seccomp, RejectsWhatTheSpecForbids) {
    auto rule = [](Json extra) {
        Json r = {{"names", {"getpid"}}, {"action", "SCMP_ACT_ALLOW"}};
        r.update(extra);
        return Json{{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {r}}};
    };
    // errnoRet only goes with ERRNO and TRACE
    EXPECT_NE(compile_error(rule({{"errnoRet", 5}})).message().find("errnoRet"), std::string::npos);
    EXPECT_NE(compile_error({{"defaultAction", "SCMP_ACT_KILL"}, {"defaultErrnoRet", 5}})
                  .message()
                  .find("defaultErrnoRet"),
              std::string::npos);
    EXPECT_NE(compile_error(rule({{"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 70000}}))
                  .message()
                  .find("out of range"),
              std::string::npos);
    // syscalls have six arguments
    EXPECT_NE(compile_error(rule({{"args", {{{"index", 6}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}))
                  .message()
                  .find("args[0].index"),
              std::string::npos);
    EXPECT_NE(compile_error({{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/x"}})
                  .message()
                  .find("default action"),
              std::string::npos);
    // NOTIFY needs a listener, and cannot take write (runc's rule)
    EXPECT_NE(compile_error(rule({{"action", "SCMP_ACT_NOTIFY"}})).message().find("listenerPath"),
              std::string::npos);
    Json on_write = rule({{"names", {"write"}}, {"action", "SCMP_ACT_NOTIFY"}});
    on_write["listenerPath"] = "/run/agent.sock";
    EXPECT_NE(compile_error(on_write).message().find("write"), std::string::npos);
    EXPECT_NE(compile_error({{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerMetadata", "x"}})
                  .message()
                  .find("listenerMetadata"),
              std::string::npos);
    // wrong JSON types name the field
    EXPECT_NE(compile_error(rule({{"names", "getpid"}})).message().find("syscalls[0].names"),
              std::string::npos);
}

TEST(Seccomp, UnknownSyscallIsSkippedWithAWarning) {
    std::vector<std::string> warnings;
    SeccompFilter f =
        compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"syscalls",
                     {{{"names", {"getpid", "no_such_syscall", "another_made_up_one"}},
                       {"action", "SCMP_ACT_ERRNO"}}}}},
                   &warnings);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("no_such_syscall"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("another_made_up_one"), std::string::npos) << warnings[0];
    EXPECT_FALSE(f.empty());
}

TEST(Seccomp, NoDefaultActionAndNoSyscallsMeansNoFilter) {
    std::vector<std::string> warnings;
    auto f = compile_seccomp(Json::object(), warnings);
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(f->empty());
    auto fd = install_seccomp(*f);
    ASSERT_TRUE(fd.has_value());
    EXPECT_FALSE(fd->valid());
}

TEST(Seccomp, FlagsDefaultToSpecAllowAsRuncDoes) {
    SeccompFilter f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"}});
    EXPECT_EQ(f.flags(), unsigned{SECCOMP_FILTER_FLAG_SPEC_ALLOW});
    f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", Json::array()}});
    EXPECT_EQ(f.flags(), 0u);
    f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"}}});
    EXPECT_EQ(f.flags(), unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_TSYNC});

    std::vector<std::string> warnings;
    f = compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"flags", {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}}},
                   &warnings);
    EXPECT_EQ(f.flags(), 0u);
    EXPECT_EQ(warnings.size(), 1u);

    f = compile_ok(
        {{"defaultAction", "SCMP_ACT_ALLOW"},
         {"flags", {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"}},
         {"listenerPath", "/run/agent.sock"},
         {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_NOTIFY"}}}}});
    EXPECT_TRUE(f.notifies());
    EXPECT_EQ(f.flags(),
              unsigned{SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_TSYNC |
                       SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH});
}

TEST(Seccomp, CompileTime) {
    Json profile = docker_profile();
    auto time = [&](bool libseccomp, int runs) {
        double best = 1e9, first = 0;
        for (int i = 0; i < runs; ++i) {
            std::vector<std::string> warnings;
            auto t0 = std::chrono::steady_clock::now();
            auto f = compile_seccomp(profile, warnings, {.force_libseccomp = libseccomp});
            double us =
                std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                    .count();
            EXPECT_TRUE(f.has_value());
            if (i == 0) first = us;
            best = std::min(best, us);
        }
        return std::pair{first, best};
    };
    auto [fast_first, fast_best] = time(false, 50);
    auto [lib_first, lib_best] = time(true, 5);
    std::cout << "[ timing   ] docker profile (" << profile["syscalls"][0]["names"].size()
              << "+ names, 3 archs): fast compiler first " << fast_first << " us, best "
              << fast_best << " us; libseccomp first " << lib_first << " us, best " << lib_best
              << " us\n";
}

// --- Behaviour in a real process ---

TEST(Seccomp, ErrnoActionsReachTheProcess) {
    Json j = {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"syscalls",
               {{{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}},
                {{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}}}}};
    for (bool libseccomp : {false, true}) {
        SeccompFilter f = compile_ok(j, nullptr, {.force_libseccomp = libseccomp});
        int status = in_child([&] {
            auto fd = install_seccomp(f);
            if (!fd || fd->valid()) return 1;
            errno = 0;
            if (::syscall(SYS_getpid) != -1 || errno != EPERM) return 2;
            errno = 0;
            if (::syscall(SYS_mkdir, "/tmp/berth-seccomp-test-never", 0700) != -1 || errno != 38)
                return 3;
            if (::syscall(SYS_getppid) <= 0) return 4;
            return 0;
        });
        EXPECT_EQ(exit_code(status), 0) << (libseccomp ? "libseccomp" : "fast");
    }
}

TEST(Seccomp, KillActionKillsWithSigsys) {
    for (const char* action : {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS"}) {
        SeccompFilter f =
            compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                        {"syscalls", {{{"names", {"getppid"}}, {"action", action}}}}});
        int status = in_child([&] {
            if (!install_seccomp(f)) return 1;
            ::syscall(SYS_getppid);
            return 0;  // not reached
        });
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
            << action << ": status " << status;
    }
}

TEST(Seccomp, ArgumentConditionsApplyInTheProcess) {
    // Only the personality query (0xffffffff) is allowed; everything the child needs besides.
    Json j = {{"defaultAction", "SCMP_ACT_ERRNO"},
              {"syscalls",
               {{{"names", {"exit_group", "exit", "getppid"}}, {"action", "SCMP_ACT_ALLOW"}},
                {{"names", {"personality"}},
                 {"action", "SCMP_ACT_ALLOW"},
                 {"args", {{{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    for (bool libseccomp : {false, true}) {
        SeccompFilter f = compile_ok(j, nullptr, {.force_libseccomp = libseccomp});
        int status = in_child([&] {
            if (!install_seccomp(f)) return 1;
            if (::syscall(SYS_personality, 0xffffffffUL) < 0) return 2;
            errno = 0;
            if (::syscall(SYS_personality, PER_LINUX32) != -1 || errno != EPERM) return 3;
            errno = 0;
            if (::syscall(SYS_getpid) != -1 || errno != EPERM) return 4;
            errno = 0;  // newer than anything the profile names: ENOSYS, as with runc
            if (::syscall(SYS_exit_group + 100) != -1 || errno != ENOSYS) return 5;
            return 0;
        });
        EXPECT_EQ(exit_code(status), 0) << (libseccomp ? "libseccomp" : "fast");
    }
}

TEST(Seccomp, DockerProfileLoadsAndBehaves) {
    for (bool libseccomp : {false, true}) {
        SeccompFilter f = compile_ok(docker_profile(), nullptr, {.force_libseccomp = libseccomp});
        int status = in_child([&] {
            if (!install_seccomp(f)) return 1;
            if (::syscall(SYS_getpid) <= 0) return 2;
            errno = 0;
            if (::syscall(SYS_unshare, CLONE_NEWNS) != -1 || errno != EPERM) return 3;
            errno = 0;
            if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 4;
            int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
            if (s < 0) return 5;
            ::close(s);
            errno = 0;
            if (::socket(AF_VSOCK, SOCK_STREAM, 0) != -1 || errno != EPERM) return 6;
            return 0;
        });
        EXPECT_EQ(exit_code(status), 0) << (libseccomp ? "libseccomp" : "fast");
    }
}

TEST(Seccomp, NotifyListenerReachesTheAgent) {
    std::string path = "/tmp/berth-seccomp-agent-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    int agent = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(agent, 0);
    UniqueFd agent_fd(agent);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(agent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(agent, 1), 0);

    SeccompFilter f =
        compile_ok({{"defaultAction", "SCMP_ACT_ALLOW"},
                    {"listenerPath", path},
                    {"listenerMetadata", "MKNOD=/dev/null"},
                    {"syscalls", {{{"names", {"getppid"}}, {"action", "SCMP_ACT_NOTIFY"}}}}});
    ASSERT_TRUE(f.notifies());
    Json state = {{"ociVersion", "1.2.0"},
                  {"id", "c1"},
                  {"status", "creating"},
                  {"pid", 42},
                  {"bundle", "/b"}};
    pid_t child = ::fork();
    // Should a check below fail, the child must not be left waiting for the agent.
    struct Reaper {
        pid_t pid;
        ~Reaper() {
            if (pid <= 0) return;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reaper{child};
    if (child == 0) {
        reaper.pid = 0;
        ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        auto listener = install_seccomp(f);
        if (!listener || !listener->valid()) ::_exit(1);
        if (!send_listener_fd(f, listener->get(), ::getpid(), state)) ::_exit(2);
        listener->reset();
        // The agent answers for getppid.
        ::_exit(::syscall(SYS_getppid) == 4242 ? 0 : 3);
    }

    int conn = ::accept4(agent, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(conn, 0);
    UniqueFd conn_fd(conn);
    char buf[4096];
    auto first = receive_with_fds(conn, buf, 1, "receive the listener");
    ASSERT_TRUE(first) << first.error().message();
    ASSERT_GT(first->size, 0u);
    ASSERT_EQ(first->fds.size(), 1u);
    UniqueFd notify_fd = std::move(first->fds.front());
    std::string text(buf, first->size);
    ssize_t n;
    while ((n = ::read(conn, buf, sizeof buf)) > 0)  // the agent reads to the end
        text.append(buf, static_cast<size_t>(n));
    Json payload = Json::parse(text);
    EXPECT_EQ(payload["ociVersion"], "1.2.0");
    EXPECT_EQ(payload["fds"], Json({"seccompFd"}));
    EXPECT_EQ(payload["pid"], child);
    EXPECT_EQ(payload["metadata"], "MKNOD=/dev/null");
    EXPECT_EQ(payload["state"]["id"], "c1");

    seccomp_notif req{};
    ASSERT_EQ(::ioctl(notify_fd.get(), SECCOMP_IOCTL_NOTIF_RECV, &req), 0) << std::strerror(errno);
    EXPECT_EQ(static_cast<pid_t>(req.pid), child);
    EXPECT_EQ(req.data.nr, static_cast<int>(nr_of("getppid")));
    seccomp_notif_resp resp{};
    resp.id = req.id;
    resp.val = 4242;
    ASSERT_EQ(::ioctl(notify_fd.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp), 0) << std::strerror(errno);

    int status = 0;
    ::waitpid(child, &status, 0);
    reaper.pid = 0;
    EXPECT_EQ(exit_code(status), 0);
    ::unlink(path.c_str());
}

TEST(Seccomp, FeaturesListWhatIsKnown) {
    Json j = seccomp_features_json();
    EXPECT_EQ(j["enabled"], true);
    EXPECT_EQ(j["actions"].size(), 9u);
    EXPECT_EQ(j["operators"].size(), 7u);
    auto archs = j["archs"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64"), archs.end());
    EXPECT_EQ(j["knownFlags"].size(), 4u);
    auto supported = j["supportedFlags"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(supported.begin(), supported.end(), "SECCOMP_FILTER_FLAG_SPEC_ALLOW"),
              supported.end());
}

}  // namespace
}  // namespace berth::runtime
