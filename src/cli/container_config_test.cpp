#include "cli/container_config.h"

#include <gtest/gtest.h>

#include <map>

#include "cli/container_commands.h"
#include "cli/run_command.h"

namespace berth::cli {
namespace {

Environment fake_environment(std::map<std::string, std::string> files,
                             std::map<std::string, std::string> variables) {
    return {
        .read_file = [files](const std::string& path) -> Result<std::string> {
            auto it = files.find(path);
            if (it == files.end()) return fail(ErrorKind::NotFound, "open " + path);
            return it->second;
        },
        .get = [variables](const std::string& name) -> std::optional<std::string> {
            auto it = variables.find(name);
            if (it == variables.end()) return std::nullopt;
            return it->second;
        },
    };
}

// What docker 28's CLI sent for:
//   B=fromenv docker create --name n1 -e X=1 -e B -e NOTSET --env-file envf -v /a:/b:ro
//   -v vol:/c --mount type=tmpfs,destination=/t,tmpfs-size=64m
//   --mount type=bind,source=/s,target=/d,readonly -w /w -u 1:2 --entrypoint /bin/sh
//   --restart on-failure:3 -m 512m --memory-swap 1g --memory-reservation 256m --cpus 1.5
//   --cpu-shares 512 --cpuset-cpus 0 --pids-limit 100 --cap-add NET_ADMIN --cap-drop MKNOD
//   --read-only --init --health-cmd true --health-interval 5s --health-timeout 1m30s
//   --health-retries 3 --health-start-period 2s -l a=b -l c --ulimit nofile=1024:2048
//   --log-driver json-file --log-opt max-size=1m --tmpfs /run:rw,size=1m
//   --device /dev/null:/dev/n:rw --sysctl net.ipv4.ip_forward=1 -h hn --stop-signal SIGUSR1
//   --stop-timeout 7 --network none --security-opt no-new-privileges --group-add 10
//   --shm-size 128m --oom-score-adj 100 -it busybox echo a b
// (captured from a fake daemon socket; envf holds "A=1", "# c", "B").
constexpr const char* kDockerBody = R"({"Hostname":"hn","User":"1:2","AttachStdin":true,
"AttachStdout":true,"AttachStderr":true,"Tty":true,"OpenStdin":true,"StdinOnce":true,
"Env":["A=1","B=fromenv","X=1","B=fromenv","NOTSET"],"Cmd":["echo","a","b"],
"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":5000000000,"Timeout":90000000000,
"StartPeriod":2000000000,"Retries":3},"Image":"busybox","Volumes":{},"WorkingDir":"/w",
"Entrypoint":["/bin/sh"],"Labels":{"a":"b","c":""},"StopSignal":"SIGUSR1","StopTimeout":7,
"HostConfig":{"Binds":["/a:/b:ro","vol:/c"],"LogConfig":{"Type":"json-file","Config":{"max-size":"1m"}},
"NetworkMode":"none","RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"AutoRemove":false,
"CapAdd":["CAP_NET_ADMIN"],"CapDrop":["CAP_MKNOD"],"GroupAdd":["10"],"OomScoreAdj":100,
"Privileged":false,"ReadonlyRootfs":true,"SecurityOpt":["no-new-privileges"],
"Tmpfs":{"/run":"rw,size=1m"},"ShmSize":134217728,"Sysctls":{"net.ipv4.ip_forward":"1"},
"CpuShares":512,"Memory":536870912,"NanoCpus":1500000000,"CpuPeriod":0,"CpuQuota":0,
"CpusetCpus":"0","Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/n","CgroupPermissions":"rw"}],
"MemoryReservation":268435456,"MemorySwap":1073741824,"MemorySwappiness":-1,"PidsLimit":100,
"Ulimits":[{"Name":"nofile","Hard":2048,"Soft":1024}],
"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":67108864}},
{"Type":"bind","Source":"/s","Target":"/d","ReadOnly":true}],"Init":true}})";

TEST(CreateRequest, MatchesWhatDockerSends) {
    ContainerOptions o;
    o.name = "n1";
    o.env = {"X=1", "B", "NOTSET"};
    o.env_files = {"envf"};
    o.volumes = {"/a:/b:ro", "vol:/c"};
    o.mounts = {"type=tmpfs,destination=/t,tmpfs-size=64m",
                "type=bind,source=/s,target=/d,readonly"};
    o.workdir = "/w";
    o.user = "1:2";
    o.entrypoint = "/bin/sh";
    o.restart = "on-failure:3";
    o.memory = "512m";
    o.memory_swap = "1g";
    o.memory_reservation = "256m";
    o.cpus = "1.5";
    o.cpu_shares = 512;
    o.cpuset_cpus = "0";
    o.pids_limit = 100;
    o.cap_add = {"NET_ADMIN"};
    o.cap_drop = {"MKNOD"};
    o.read_only = true;
    o.init = true;
    o.health_cmd = "true";
    o.health_interval = "5s";
    o.health_timeout = "1m30s";
    o.health_retries = 3;
    o.health_start_period = "2s";
    o.labels = {"a=b", "c"};
    o.ulimits = {"nofile=1024:2048"};
    o.log_driver = "json-file";
    o.log_opts = {"max-size=1m"};
    o.tmpfs = {"/run:rw,size=1m"};
    o.devices = {"/dev/null:/dev/n:rw"};
    o.sysctls = {"net.ipv4.ip_forward=1"};
    o.hostname = "hn";
    o.stop_signal = "SIGUSR1";
    o.stop_timeout = 7;
    o.network = "none";
    o.security_opts = {"no-new-privileges"};
    o.group_add = {"10"};
    o.shm_size = "128m";
    o.oom_score_adj = 100;
    o.interactive = o.tty = true;
    o.image = "busybox";
    o.command = {"echo", "a", "b"};
    auto request =
        build_create_request(o, fake_environment({{"envf", "A=1\n# c\nB\n"}}, {{"B", "fromenv"}}));
    ASSERT_TRUE(request) << request.error().message();
    EXPECT_EQ(request->name, "n1");
    Json expected = Json::parse(kDockerBody);
    for (auto& [key, value] : expected.items()) {
        if (key == "HostConfig") continue;
        EXPECT_EQ(request->body[key], value) << key;
    }
    for (auto& [key, value] : expected["HostConfig"].items())
        EXPECT_EQ(request->body["HostConfig"][key], value) << "HostConfig." << key;
}

TEST(CreateRequest, DefaultsAsDockerSendsThem) {
    ContainerOptions o;
    o.image = "busybox";
    auto request = build_create_request(o, fake_environment({}, {}));
    ASSERT_TRUE(request);
    const Json& body = request->body;
    EXPECT_EQ(body["AttachStdout"], true);
    EXPECT_EQ(body["AttachStdin"], false);
    EXPECT_TRUE(body["Cmd"].is_null());
    EXPECT_FALSE(body.contains("Entrypoint"));
    EXPECT_EQ(body["HostConfig"]["NetworkMode"], "default");
    EXPECT_EQ(body["HostConfig"]["RestartPolicy"],
              (Json{{"Name", "no"}, {"MaximumRetryCount", 0}}));
    EXPECT_FALSE(body["HostConfig"].contains("Init"));
    EXPECT_FALSE(body["HostConfig"].contains("PidsLimit"));
    o.detach = true;
    o.volumes = {"/anon"};
    o.no_healthcheck = true;
    request = build_create_request(o, fake_environment({}, {}));
    ASSERT_TRUE(request);
    EXPECT_EQ(request->body["AttachStdout"], false);
    EXPECT_EQ(request->body["Volumes"], (Json{{"/anon", Json::object()}}));
    EXPECT_EQ(request->body["Healthcheck"]["Test"], Json::array({"NONE"}));
}

TEST(CreateRequest, RefusesWhatDockerRefuses) {
    auto env = fake_environment({}, {});
    ContainerOptions o;
    o.image = "busybox";
    o.memory = "12x";
    EXPECT_EQ(build_create_request(o, env).error().message(),
              "invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'");
    o.memory.clear();
    o.restart = "always:3";
    EXPECT_FALSE(build_create_request(o, env));
    o.restart = "always";
    o.rm = true;
    EXPECT_EQ(build_create_request(o, env).error().message(),
              "conflicting options: cannot specify both --restart and --rm");
    o.restart.clear();
    o.ulimits = {"nofile=2048:1024"};
    EXPECT_FALSE(build_create_request(o, env));
    o.ulimits.clear();
    o.health_interval = "5";
    EXPECT_FALSE(build_create_request(o, env));
    o.health_interval.clear();
    o.mounts = {"type=bogus,target=/x"};
    EXPECT_FALSE(build_create_request(o, env));
    o.mounts = {"type=bind,source=/x"};
    EXPECT_EQ(build_create_request(o, env).error().message(), "target is required");
}

TEST(RunHelpers, StartErrorStatusAndDefaultTag) {
    EXPECT_EQ(start_error_status("exec: \"x\": executable file not found in $PATH"), 127);
    EXPECT_EQ(start_error_status("open /x: no such file or directory"), 127);
    EXPECT_EQ(start_error_status("exec: \"/etc/passwd\": permission denied"), 126);
    EXPECT_EQ(start_error_status("invalid restart policy"), 125);
    EXPECT_EQ(with_default_tag("busybox"), "busybox:latest");
    EXPECT_EQ(with_default_tag("localhost:5000/a/b"), "localhost:5000/a/b:latest");
    EXPECT_EQ(with_default_tag("a/b:1.0"), "a/b:1.0");
}

TEST(Helpers, QuoteEllipsisIndent) {
    EXPECT_EQ(go_quote("sh -c 'echo \"x\"'\n"), R"("sh -c 'echo \"x\"'\n")");
    EXPECT_EQ(ellipsis("sh -c 'echo out; echo err'", 20), "sh -c 'echo out; ec…");
    EXPECT_EQ(ellipsis("short", 20), "short");
    EXPECT_EQ(json_indent(R"([{"b":1,"a":[],"c":{"x":"a,b:{"}}])"),
              "[\n    {\n        \"b\": 1,\n        \"a\": [],\n        \"c\": {\n            "
              "\"x\": \"a,b:{\"\n        }\n    }\n]");
    EXPECT_EQ(short_id("sha256:0123456789abcdef"), "0123456789ab");
}

}  // namespace
}  // namespace berth::cli
