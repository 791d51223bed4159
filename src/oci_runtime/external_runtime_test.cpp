#include "oci_runtime/external_runtime.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::oci_runtime {
namespace {

// A runc stand-in: records each command line (one JSON list per line in `calls`), and behaves
// as `mode` says ("ok" or "fail"). run/exec write 4242 to the pid file and, with a console
// socket, send the master of a new pty over it.
constexpr const char* kFakeRuntime = R"(#!/usr/bin/python3
import json, os, pty, socket, sys
here = os.path.dirname(os.path.abspath(sys.argv[0]))
args = sys.argv[1:]
with open(os.path.join(here, "calls"), "a") as f:
    f.write(json.dumps(args) + "\n")
mode = open(os.path.join(here, "mode")).read().strip()
opts, i = {}, 0
while i < len(args) and args[i].startswith("-"):
    if args[i] in ("--root", "--log", "--log-format"):
        opts[args[i]] = args[i + 1]
        i += 1
    i += 1
command, rest = args[i], args[i + 1:]
def value(flag):
    return rest[rest.index(flag) + 1] if flag in rest else None
if mode == "fail":
    if "--log" in opts:
        with open(opts["--log"], "a") as f:
            f.write(json.dumps({"level": "warning", "msg": "just a warning"}) + "\n")
            f.write(json.dumps({"level": "error", "msg": "exec: no such file or directory"}) + "\n")
    print("container not running", file=sys.stderr)
    sys.exit(1)
if command in ("run", "exec"):
    with open(value("--pid-file"), "w") as f:
        f.write("4242")
    if value("--console-socket"):
        master, slave = pty.openpty()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(value("--console-socket"))
        socket.send_fds(s, [b"/dev/pts/x"], [master])
elif command == "ps":
    print("[11, 22]")
)";

class ExternalRuntimeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
        ASSERT_TRUE(write_file(dir / "fake-runc", kFakeRuntime, 0755));
        set_mode("ok");
        ASSERT_TRUE(mkdir_all(dir / "bundle"));
        ASSERT_TRUE(mkdir_all(dir / "work"));
        Json spec = {{"process",
                      {{"args", {"sh"}},
                       {"env", {"PATH=/bin", "HOME=/root"}},
                       {"cwd", "/"},
                       {"user", {{"uid", 0}, {"gid", 0}}},
                       {"consoleSize", {{"height", 1}, {"width", 1}}},
                       {"capabilities", {{"bounding", {"CAP_CHOWN"}}}}}}};
        ASSERT_TRUE(write_file(dir / "bundle/config.json", spec.dump()));
        config.root = dir / "state";
        config.path = dir / "fake-runc";
        config.args = {"--debug"};
    }

    void set_mode(const std::string& mode) { ASSERT_TRUE(write_file(dir / "mode", mode)); }

    std::vector<Json> calls() const {
        std::vector<Json> out;
        auto text = read_file(dir / "calls");
        if (!text) return out;
        size_t start = 0;
        for (size_t nl; (nl = text->find('\n', start)) != std::string::npos; start = nl + 1)
            out.push_back(Json::parse(text->substr(start, nl - start)));
        return out;
    }

    ExternalRuntime runtime() const { return ExternalRuntime(config, "c1", dir / "bundle", log); }

    TempDir dir;
    OciRuntimeConfig config;
    Logger log;
};

TEST(RuntimeCommand, ArgsAndRootComeBeforeTheSubcommand) {
    OciRuntimeConfig config{
        "/run/berth/runtime-crun", "/usr/bin/crun", {"--cgroup-manager", "cgroupfs"}};
    EXPECT_EQ(runtime_command(config, {"kill", "id", "15"}),
              (std::vector<std::string>{"/usr/bin/crun", "--cgroup-manager", "cgroupfs", "--root",
                                        "/run/berth/runtime-crun", "kill", "id", "15"}));
}

TEST(LastLoggedError, RuncAndCrunFormats) {
    EXPECT_EQ(
        last_logged_error("{\"level\":\"warning\",\"msg\":\"w\",\"time\":\"t\"}\n"
                          "{\"level\":\"error\",\"msg\":\"runc run failed: boom\",\"time\":\"t\"}\n"
                          "{\"level\":\"info\",\"msg\":\"later\",\"time\":\"t\"}\n"),
        "runc run failed: boom");
    EXPECT_EQ(last_logged_error("{\"msg\": \"open executable: Permission denied\", \"level\": "
                                "\"error\", \"time\": \"t\"}\n\n"),
              "open executable: Permission denied");
    EXPECT_EQ(last_logged_error("first\nplain text error\n"), "plain text error");
    EXPECT_EQ(last_logged_error(""), "");
}

TEST(ParsePsJson, ListOfPids) {
    EXPECT_EQ(parse_ps_json("[1, 2, 3]\n").value(), (std::vector<pid_t>{1, 2, 3}));
    EXPECT_TRUE(parse_ps_json("null").value().empty());
    EXPECT_FALSE(parse_ps_json("PID\n1\n"));
    EXPECT_FALSE(parse_ps_json("[\"x\"]"));
}

TEST(ExecProcess, StartsFromTheContainersProcess) {
    Json base = {{"args", {"sh"}},
                 {"env", {"PATH=/bin", "A=1"}},
                 {"cwd", "/"},
                 {"user", {{"uid", 0}, {"gid", 0}, {"additionalGids", {10}}}},
                 {"consoleSize", {{"height", 1}, {"width", 1}}},
                 {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
                 {"capabilities", {{"bounding", {"CAP_CHOWN"}}, {"effective", {"CAP_CHOWN"}}}}};
    ExecRequest request;
    request.args = {"echo", "hi"};
    request.env = {"A=2", "B=3"};
    request.cwd = "/tmp";
    request.user = "1000:50";
    request.additional_gids = {"20"};
    request.cap_add = {"CAP_CHOWN", "CAP_SYS_ADMIN"};
    request.terminal = true;
    request.no_new_privileges = true;
    auto p = exec_process(base, request);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ((*p)["args"], Json({"echo", "hi"}));
    EXPECT_EQ((*p)["env"], Json({"PATH=/bin", "A=2", "B=3"}));
    EXPECT_EQ((*p)["cwd"], "/tmp");
    // The user's groups alone: the container process's (10) are not the exec'd user's.
    EXPECT_EQ((*p)["user"], Json({{"uid", 1000}, {"gid", 50}, {"additionalGids", {20}}}));
    EXPECT_EQ((*p)["terminal"], true);
    EXPECT_EQ((*p)["noNewPrivileges"], true);
    EXPECT_FALSE(p->contains("consoleSize"));
    EXPECT_EQ((*p)["rlimits"], base["rlimits"]);
    EXPECT_EQ((*p)["capabilities"]["bounding"], Json({"CAP_CHOWN", "CAP_SYS_ADMIN"}));
    EXPECT_EQ((*p)["capabilities"]["permitted"], Json({"CAP_CHOWN", "CAP_SYS_ADMIN"}));
}

TEST(ExecProcess, WithoutAUserTheContainersUserAndGroupsStay) {
    Json base = {{"args", {"sh"}}, {"user", {{"uid", 0}, {"gid", 0}, {"additionalGids", {0, 10}}}}};
    ExecRequest request;
    request.args = {"id"};
    request.additional_gids = {"20"};  // ignored without a user
    auto p = exec_process(base, request);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ((*p)["user"], base["user"]);
    // A user without groups of its own has none.
    request.user = "65534:65534";
    request.additional_gids.clear();
    p = exec_process(base, request);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ((*p)["user"],
              Json({{"uid", 65534}, {"gid", 65534}, {"additionalGids", Json::array()}}));
}

TEST(ExecProcess, BadInputIsAnError) {
    ExecRequest request;
    EXPECT_FALSE(exec_process(Json::object(), request));  // no command
    request.args = {"true"};
    request.env = {"NOEQUALS"};
    EXPECT_FALSE(exec_process(Json::object(), request));
    request.env.clear();
    request.user = "app";
    EXPECT_FALSE(exec_process(Json::object(), request));
    request.user.clear();
    auto p = exec_process(Json::object(), request);
    ASSERT_TRUE(p);
    EXPECT_EQ((*p)["cwd"], "/");
    EXPECT_EQ((*p)["user"], Json({{"uid", 0}, {"gid", 0}}));
}

TEST_F(ExternalRuntimeTest, RunDetachedWithThePidFile) {
    RunRequest request;
    request.work_dir = dir / "work";
    auto started = runtime().run(request);
    ASSERT_TRUE(started) << started.error().message();
    EXPECT_EQ(started->pid, 4242);
    EXPECT_FALSE(started->terminal.valid());
    auto recorded = calls();
    ASSERT_EQ(recorded.size(), 1u);
    EXPECT_EQ(recorded[0],
              Json({"--debug", "--root", dir / "state", "--log", dir / "work/runtime-log.json",
                    "--log-format", "json", "run", "--detach", "--bundle", dir / "bundle",
                    "--pid-file", dir / "work/container.pid", "c1"}));
}

TEST_F(ExternalRuntimeTest, RunWithATerminalReceivesTheMaster) {
    RunRequest request;
    request.work_dir = dir / "work";
    request.terminal = true;
    auto started = runtime().run(request);
    ASSERT_TRUE(started) << started.error().message();
    ASSERT_TRUE(started->terminal.valid());
    EXPECT_TRUE(::isatty(started->terminal.get()));
    auto recorded = calls();
    ASSERT_EQ(recorded.size(), 1u);
    auto& argv = recorded[0];
    auto it = std::find(argv.begin(), argv.end(), "--console-socket");
    ASSERT_NE(it, argv.end());
    EXPECT_EQ(argv.back(), "c1");
    EXPECT_FALSE(path_exists(dir / "work/console.sock"));  // cleaned up
}

TEST_F(ExternalRuntimeTest, LongWorkDirReachesTheConsoleSocketThroughProc) {
    std::string deep = dir / std::string(60, 'd') + "/" + std::string(60, 'e');
    ASSERT_TRUE(mkdir_all(deep));
    RunRequest request;
    request.work_dir = deep;
    request.terminal = true;
    auto started = runtime().run(request);
    ASSERT_TRUE(started) << started.error().message();
    EXPECT_TRUE(::isatty(started->terminal.get()));
    auto argv = calls().at(0);
    auto it = std::find(argv.begin(), argv.end(), "--console-socket");
    ASSERT_NE(it, argv.end());
    EXPECT_TRUE((it + 1)->get<std::string>().starts_with("/proc/")) << *(it + 1);
}

TEST_F(ExternalRuntimeTest, FailedRunQuotesTheLogAndDeletesLeftovers) {
    set_mode("fail");
    RunRequest request;
    request.work_dir = dir / "work";
    auto started = runtime().run(request);
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().message(), "fake-runc run: exec: no such file or directory");
    auto recorded = calls();
    ASSERT_EQ(recorded.size(), 2u);
    EXPECT_EQ(recorded[1], Json({"--debug", "--root", dir / "state", "delete", "--force", "c1"}));
}

TEST_F(ExternalRuntimeTest, ExecPassesAProcessFile) {
    ExecRequest request;
    request.work_dir = dir / "work";
    request.args = {"id", "-G"};
    request.user = "1000:1000";
    request.additional_gids = {"50"};
    auto started = runtime().exec(request);
    ASSERT_TRUE(started) << started.error().message();
    EXPECT_EQ(started->pid, 4242);
    EXPECT_EQ(calls().at(0),
              Json({"--debug", "--root", dir / "state", "--log", dir / "work/runtime-log.json",
                    "--log-format", "json", "exec", "--detach", "--pid-file", dir / "work/pid",
                    "--process", dir / "work/process.json", "c1"}));
    auto process = read_json_file(dir / "work/process.json");
    ASSERT_TRUE(process);
    EXPECT_EQ((*process)["args"], Json({"id", "-G"}));
    EXPECT_EQ((*process)["user"], Json({{"uid", 1000}, {"gid", 1000}, {"additionalGids", {50}}}));
    EXPECT_EQ((*process)["capabilities"]["bounding"], Json({"CAP_CHOWN"}));
}

TEST_F(ExternalRuntimeTest, LifecycleCommands) {
    auto rt = runtime();
    ASSERT_TRUE(rt.kill(SIGTERM));
    ASSERT_TRUE(rt.pause());
    ASSERT_TRUE(rt.resume());
    auto pids = rt.pids();
    ASSERT_TRUE(pids) << pids.error().message();
    EXPECT_EQ(*pids, (std::vector<pid_t>{11, 22}));
    ASSERT_TRUE(rt.remove());
    auto recorded = calls();
    ASSERT_EQ(recorded.size(), 5u);
    Json prefix = {"--debug", "--root", dir / "state"};
    auto with = [&](std::initializer_list<const char*> rest) {
        Json all = prefix;
        for (const char* r : rest)
            all.push_back(r);
        return all;
    };
    EXPECT_EQ(recorded[0], with({"kill", "c1", "15"}));
    EXPECT_EQ(recorded[1], with({"pause", "c1"}));
    EXPECT_EQ(recorded[2], with({"resume", "c1"}));
    EXPECT_EQ(recorded[3], with({"ps", "--format", "json", "c1"}));
    EXPECT_EQ(recorded[4], with({"delete", "--force", "c1"}));
}

TEST_F(ExternalRuntimeTest, FailedCommandQuotesStderr) {
    set_mode("fail");
    auto killed = runtime().kill(SIGKILL);
    ASSERT_FALSE(killed);
    EXPECT_NE(killed.error().message().find("fake-runc kill"), std::string::npos)
        << killed.error().message();
    EXPECT_NE(killed.error().message().find("container not running"), std::string::npos)
        << killed.error().message();
}

TEST(OpenOciRuntime, PicksTheImplementation) {
    Logger log;
    auto external = open_oci_runtime({"/tmp/state", "/usr/bin/crun", {}}, "c1", "/b", log);
    EXPECT_NE(dynamic_cast<ExternalRuntime*>(external.get()), nullptr);
    auto builtin = open_oci_runtime({"/tmp/state", "", {}}, "c1", "/b", log);
    EXPECT_EQ(dynamic_cast<ExternalRuntime*>(builtin.get()), nullptr);
}

}  // namespace
}  // namespace berth::oci_runtime
