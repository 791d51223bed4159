#include "api/daemon_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/fs.h"

namespace berth::api {
namespace {

class DaemonConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char dir[] = "/tmp/berth-daemon-config-test.XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
        file_ = dir_ + "/daemon.json";
    }
    void TearDown() override { (void)remove_all(dir_); }

    // The configuration from `json` (in the default file's place) and a command line.
    Result<DaemonConfig> load(const std::string& json, std::vector<std::string> args = {}) {
        EXPECT_TRUE(write_file(file_, json));
        return load_args(std::move(args));
    }
    Result<DaemonConfig> load_args(std::vector<std::string> args) {
        auto parsed = parse(std::move(args));
        EXPECT_FALSE(parsed.exit_code);
        return load_daemon_config(parsed.flags, file_);
    }
    static ParsedCommandLine parse(std::vector<std::string> args) {
        args.insert(args.begin(), "berthd");
        std::vector<const char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.c_str());
        return parse_daemon_flags(static_cast<int>(argv.size()), argv.data());
    }
    static std::string error_of(const Result<DaemonConfig>& result) {
        return result ? std::string("(no error)") : result.error().message();
    }

    std::string dir_, file_;
};

TEST_F(DaemonConfigTest, DefaultsWithoutAFile) {
    auto config = load_args({});
    ASSERT_TRUE(config) << error_of(config);
    EXPECT_EQ(config->hosts, std::vector<std::string>{"unix:///run/berth/berth.sock"});
    EXPECT_EQ(config->root, "/var/lib/berth");
    EXPECT_EQ(config->exec_root, "/run/berth");
    EXPECT_EQ(config->pidfile, "/run/berth/berthd.pid");
    EXPECT_EQ(config->group, "berth");
    EXPECT_EQ(config->default_runtime, "berth");
    EXPECT_EQ(config->log_driver, "json-file");
    EXPECT_EQ(config->log_level, "info");
    EXPECT_FALSE(config->tls);
    EXPECT_TRUE(config->live_restore);
    EXPECT_TRUE(config->runtimes.empty());
}

TEST_F(DaemonConfigTest, FileValuesAreHonoured) {
    auto config = load(R"({
        "hosts": ["unix:///tmp/x.sock", "tcp://127.0.0.1:2376"],
        "data-root": "/srv/berth/",
        "exec-root": "/run/b",
        "debug": true,
        "tlsverify": true,
        "tlscacert": "/c/ca.pem", "tlscert": "/c/cert.pem", "tlskey": "/c/key.pem",
        "runtimes": {"crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]}},
        "default-runtime": "crun",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3", "compress": "true", "tag": "{{.Name}}"},
        "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 4096}},
        "live-restore": false,
        "group": "docker"
    })");
    ASSERT_TRUE(config) << error_of(config);
    EXPECT_EQ(config->hosts.size(), 2u);
    EXPECT_EQ(config->root, "/srv/berth");
    EXPECT_EQ(config->exec_root, "/run/b");
    EXPECT_EQ(config->pidfile, "/run/b/berthd.pid");  // follows exec-root
    EXPECT_EQ(config->log_level, "debug");
    EXPECT_TRUE(config->tls);  // implied by tlsverify
    EXPECT_TRUE(config->tls_verify);
    EXPECT_EQ(config->tls_ca, "/c/ca.pem");
    ASSERT_TRUE(config->runtimes.contains("crun"));
    EXPECT_EQ(config->runtimes["crun"].path, "/usr/bin/crun");
    EXPECT_EQ(config->runtimes["crun"].args, std::vector<std::string>{"--debug"});
    EXPECT_EQ(config->default_runtime, "crun");
    EXPECT_EQ(config->log_opts["max-size"], "10m");
    EXPECT_EQ(config->log_opts.size(), 4u);
    ASSERT_TRUE(config->default_ulimits.contains("nofile"));
    EXPECT_EQ(config->default_ulimits["nofile"].soft, 1024);
    EXPECT_EQ(config->default_ulimits["nofile"].hard, 4096);
    EXPECT_FALSE(config->live_restore);
    EXPECT_EQ(config->group, "docker");
    EXPECT_TRUE(config->has_tcp_host());
}

TEST_F(DaemonConfigTest, FlagsFillWhatTheFileLeavesOut) {
    auto config = load(
        R"({"data-root": "/srv/b"})",
        {"-H", "unix:///tmp/a.sock", "-H", "tcp://[::1]:2376", "--exec-root", "/run/x",
         "--add-runtime", "runc=/usr/sbin/runc", "--log-opt", "max-size=1m", "--default-ulimit",
         "nproc=100:200", "-p", "/run/p.pid", "-G", "wheel", "--log-level", "warn"});
    ASSERT_TRUE(config) << error_of(config);
    EXPECT_EQ(config->hosts, (std::vector<std::string>{"unix:///tmp/a.sock", "tcp://[::1]:2376"}));
    EXPECT_EQ(config->root, "/srv/b");
    EXPECT_EQ(config->exec_root, "/run/x");
    EXPECT_EQ(config->runtimes["runc"].path, "/usr/sbin/runc");
    EXPECT_EQ(config->log_opts["max-size"], "1m");
    EXPECT_EQ(config->default_ulimits["nproc"].soft, 100);
    EXPECT_EQ(config->default_ulimits["nproc"].hard, 200);
    EXPECT_EQ(config->pidfile, "/run/p.pid");
    EXPECT_EQ(config->group, "wheel");
    EXPECT_EQ(config->log_level, "warn");
}

TEST_F(DaemonConfigTest, AKeyInBothPlacesIsDockerdsError) {
    auto config = load(R"({"hosts": ["unix:///a.sock", "unix:///b.sock"], "debug": true})",
                       {"-H", "tcp://127.0.0.1:2376", "--debug", "--root", "/x"});
    EXPECT_EQ(error_of(config),
              "unable to configure berthd with file " + file_ +
                  ": the following directives are specified both as a flag and in the "
                  "configuration file: hosts: (from flag: [tcp://127.0.0.1:2376], from file: "
                  "[unix:///a.sock unix:///b.sock]), debug: (from flag: true, from file: true)");
    // --root and --data-root are one setting: data-root.
    config = load(R"({"data-root": "/a"})", {"--data-root", "/b"});
    EXPECT_NE(error_of(config).find("data-root: (from flag: /b, from file: /a)"), std::string::npos)
        << error_of(config);
}

TEST_F(DaemonConfigTest, UnknownKeysAreNamed) {
    auto config = load(R"({"debug": false, "storage-driver": "overlay2", "bogus": 1})");
    EXPECT_NE(error_of(config).find(
                  "the following directives don't match any configuration option: bogus, "
                  "storage-driver"),
              std::string::npos)
        << error_of(config);
}

TEST_F(DaemonConfigTest, MalformedJsonNamesTheLine) {
    auto config = load("{\n  \"debug\": true,\n  \"hosts\": [\"unix:///a.sock\"\n}\n");
    EXPECT_NE(error_of(config).find("line 4"), std::string::npos) << error_of(config);
    EXPECT_NE(error_of(config).find(file_), std::string::npos) << error_of(config);
}

TEST_F(DaemonConfigTest, WrongTypesNameTheKey) {
    EXPECT_NE(error_of(load(R"({"debug": "yes"})")).find("debug: must be true or false"),
              std::string::npos);
    EXPECT_NE(error_of(load(R"({"hosts": "unix:///a.sock"})")).find("hosts: must be a list"),
              std::string::npos);
    EXPECT_NE(error_of(load(R"({"log-opts": {"max-file": 3}})")).find("log-opts.max-file"),
              std::string::npos);
    EXPECT_NE(error_of(load(R"({"runtimes": {"x": {"path": "/x", "runtimeType": "io.c"}}})"))
                  .find("runtimes.x: runtimeType is not supported"),
              std::string::npos);
}

TEST_F(DaemonConfigTest, FileChoice) {
    // An explicit --config-file must exist; the default may be missing.
    auto missing = load_args({"--config-file", dir_ + "/nope.json"});
    EXPECT_NE(error_of(missing).find("nope.json"), std::string::npos);
    EXPECT_TRUE(write_file(dir_ + "/other.json", R"({"group": "other"})"));
    auto other = load_args({"--config-file", dir_ + "/other.json"});
    ASSERT_TRUE(other) << error_of(other);
    EXPECT_EQ(other->group, "other");
    // An empty file is an empty configuration.
    EXPECT_TRUE(load("\n"));
}

TEST_F(DaemonConfigTest, TlsNeedsItsFiles) {
    EXPECT_NE(error_of(load_args({"--tls"})).find("--tlscert and --tlskey"), std::string::npos);
    EXPECT_NE(error_of(load_args({"--tlsverify", "--tlscert", "/c", "--tlskey", "/k"}))
                  .find("--tlscacert"),
              std::string::npos);
    auto server_only = load_args({"--tls", "--tlscert", "/c", "--tlskey", "/k"});
    ASSERT_TRUE(server_only) << error_of(server_only);
    EXPECT_TRUE(server_only->tls);
    EXPECT_FALSE(server_only->tls_verify);
    // --tlsverify=false is accepted (and --tls alone then decides).
    auto explicit_off = load_args({"--tlsverify=false"});
    ASSERT_TRUE(explicit_off) << error_of(explicit_off);
    EXPECT_FALSE(explicit_off->tls);
}

TEST_F(DaemonConfigTest, HostsAreValidated) {
    EXPECT_NE(error_of(load_args({"-H", "unix://relative.sock"})).find("absolute path"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"-H", "http://x"})).find("invalid host http://x"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"-H", "tcp://1.2.3.4:99999"})).find("invalid port"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"-H", "fd://2"})).find("from 3 on"), std::string::npos);
    EXPECT_TRUE(load_args({"-H", "fd://"}));
    EXPECT_TRUE(load_args({"-H", "fd://3"}));
}

TEST_F(DaemonConfigTest, LoggingIsValidated) {
    EXPECT_NE(error_of(load_args({"--log-driver", "journald"}))
                  .find("log driver \"journald\" is not supported"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"--log-opt", "mode=non-blocking"}))
                  .find("unknown log opt 'mode' for json-file log driver"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"--log-opt", "max-size=lots"})).find("invalid size"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"--log-opt", "max-file=0", "--log-opt", "max-size=1m"}))
                  .find("max-file"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"--log-opt", "novalue"})).find("KEY=VALUE"), std::string::npos);
    EXPECT_NE(error_of(load_args({"--log-level", "chatty"})).find("invalid log level"),
              std::string::npos);
    EXPECT_TRUE(load_args({"--log-opt", "labels=a,b", "--log-opt", "env=X"}));
}

TEST_F(DaemonConfigTest, RuntimesAreValidated) {
    EXPECT_NE(error_of(load_args({"--add-runtime", "berth=/bin/x"})).find("reserved"),
              std::string::npos);
    EXPECT_NE(error_of(load_args({"--default-runtime", "crun"})).find("default-runtime"),
              std::string::npos);
    EXPECT_NE(error_of(load(R"({"runtimes": {"crun": {}}})")).find("needs a path"),
              std::string::npos);
    ::unlink(file_.c_str());
    auto added = load_args({"--add-runtime", "crun=/usr/bin/crun", "--default-runtime", "crun"});
    ASSERT_TRUE(added) << error_of(added);
    EXPECT_EQ(added->runtimes["crun"].path, "/usr/bin/crun");
}

TEST_F(DaemonConfigTest, BadCommandLinesExitWithUsage) {
    EXPECT_EQ(parse({"--no-such-flag"}).exit_code, 2);
    EXPECT_EQ(parse({"--help"}).exit_code, 0);
    auto parsed = parse({"--tls"});
    EXPECT_FALSE(parsed.exit_code);
    EXPECT_EQ(parsed.flags.tls, true);
    EXPECT_FALSE(parsed.flags.tls_verify);  // not given, so not set
    EXPECT_FALSE(parsed.flags.hosts);
}

TEST(ParseUlimit, Forms) {
    auto both = parse_ulimit("nofile=1024:2048");
    ASSERT_TRUE(both);
    EXPECT_EQ(both->soft, 1024);
    EXPECT_EQ(both->hard, 2048);
    auto one = parse_ulimit("core=0");
    ASSERT_TRUE(one);
    EXPECT_EQ(one->hard, 0);
    auto unlimited = parse_ulimit("memlock=-1:-1");
    ASSERT_TRUE(unlimited);
    EXPECT_EQ(unlimited->soft, -1);
    EXPECT_FALSE(parse_ulimit("nofile=2048:1024"));
    EXPECT_FALSE(parse_ulimit("files=1"));
    EXPECT_FALSE(parse_ulimit("nofile"));
    EXPECT_FALSE(parse_ulimit("nofile=x"));
}

}  // namespace
}  // namespace berth::api
