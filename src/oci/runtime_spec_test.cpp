#include "oci/runtime_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <string>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A config.json that uses every section the parser models.
constexpr const char* kFullConfig = R"({
  "ociVersion": "1.2.0",
  "hostname": "box",
  "domainname": "example.org",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1001, "umask": 18, "additionalGids": [5, 10, 4294967294]},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="],
    "cwd": "/home/user",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": [],
      "permitted": ["CAP_CHOWN", "CAP_KILL"],
      "ambient": ["CAP_KILL"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "berth-default",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "scheduler": {"policy": "SCHED_OTHER"}
  },
  "root": {"path": "rootfs", "readonly": true},
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data",
     "options": ["rbind", "ro", "nosuid"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "nodev", "mode=1777", "size=65536k"]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/setup-net", "args": ["setup-net", "--pid"]}],
    "createRuntime": [{"path": "/usr/bin/hook", "env": ["A=b"], "timeout": 5}],
    "createContainer": [{"path": "/usr/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps1"}, {"path": "/bin/ps2"}],
    "poststop": [{"path": "/usr/bin/cleanup", "timeout": 30}]
  },
  "annotations": {"org.example.key": "value", "io.berth.name": "web"},
  "linux": {
    "namespaces": [
      {"type": "pid"},
      {"type": "network", "path": "/var/run/netns/blue"},
      {"type": "mount"},
      {"type": "ipc"},
      {"type": "uts"},
      {"type": "user"},
      {"type": "cgroup"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 65536}],
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438,
       "uid": 0, "gid": 0},
      {"type": "b", "path": "/dev/loop9", "major": 7, "minor": 9}
    ],
    "cgroupsPath": "/berth/box",
    "resources": {"memory": {"limit": 536870912}},
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore", "/sys/firmware"],
    "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"],
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"},
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"},
    "mountLabel": "system_u:object_r:container_file_t:s0"
  }
})";

Json full_config() {
    return Json::parse(kFullConfig);
}

// Parses `doc` expecting a validation error; returns its message.
std::string parse_error(const Json& doc) {
    auto spec = parse_spec(doc);
    if (spec.has_value()) {
        ADD_FAILURE() << "parsed without error: " << doc.dump();
        return "";
    }
    EXPECT_EQ(spec.error().kind(), ErrorKind::InvalidArgument) << spec.error().message();
    return spec.error().message();
}

// long: one expectation per field of the full config above.
TEST(ParseSpec, FullConfig) {
    auto parsed = parse_spec(full_config());
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
    const Spec& spec = *parsed;

    EXPECT_EQ(spec.oci_version, "1.2.0");
    EXPECT_EQ(spec.hostname, "box");
    EXPECT_EQ(spec.domainname, "example.org");
    EXPECT_EQ(spec.root.path, "rootfs");
    EXPECT_TRUE(spec.root.readonly);

    ASSERT_TRUE(spec.process.has_value());
    const Process& p = *spec.process;
    EXPECT_TRUE(p.terminal);
    ASSERT_TRUE(p.console_size.has_value());
    EXPECT_EQ(p.console_size->height, 24u);
    EXPECT_EQ(p.console_size->width, 80u);
    EXPECT_THAT(p.args, ElementsAre("/bin/sh", "-c", "echo hi"));
    EXPECT_THAT(p.env, ElementsAre("PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY="));
    EXPECT_EQ(p.cwd, "/home/user");
    EXPECT_EQ(p.user.uid, 1000u);
    EXPECT_EQ(p.user.gid, 1001u);
    ASSERT_TRUE(p.user.umask.has_value());
    EXPECT_EQ(*p.user.umask, 022u);
    EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 10u, 4294967294u));
    ASSERT_TRUE(p.capabilities.has_value());
    EXPECT_THAT(p.capabilities->bounding, ElementsAre("CAP_CHOWN", "CAP_KILL"));
    EXPECT_THAT(p.capabilities->effective, ElementsAre("CAP_KILL"));
    EXPECT_TRUE(p.capabilities->inheritable.empty());
    EXPECT_THAT(p.capabilities->permitted, ElementsAre("CAP_CHOWN", "CAP_KILL"));
    EXPECT_THAT(p.capabilities->ambient, ElementsAre("CAP_KILL"));
    ASSERT_EQ(p.rlimits.size(), 2u);
    EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(p.rlimits[0].hard, 4096u);
    EXPECT_EQ(p.rlimits[0].soft, 1024u);
    EXPECT_EQ(p.rlimits[1].type, "RLIMIT_CORE");
    EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
    EXPECT_TRUE(p.no_new_privileges);
    EXPECT_EQ(p.apparmor_profile, "berth-default");
    EXPECT_EQ(p.oom_score_adj, -500);
    EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
    EXPECT_EQ(p.io_priority["priority"], 4);
    EXPECT_EQ(p.scheduler["policy"], "SCHED_OTHER");

    ASSERT_EQ(spec.mounts.size(), 3u);
    EXPECT_EQ(spec.mounts[0].destination, "/proc");
    EXPECT_EQ(spec.mounts[0].type, "proc");
    EXPECT_TRUE(spec.mounts[0].options.empty());
    EXPECT_EQ(spec.mounts[1].destination, "/data");
    EXPECT_EQ(spec.mounts[1].type, "bind");
    EXPECT_EQ(spec.mounts[1].source, "/srv/data");
    EXPECT_THAT(spec.mounts[1].options, ElementsAre("rbind", "ro", "nosuid"));
    EXPECT_THAT(spec.mounts[2].options, ElementsAre("nosuid", "nodev", "mode=1777", "size=65536k"));

    ASSERT_EQ(spec.hooks.prestart.size(), 1u);
    EXPECT_EQ(spec.hooks.prestart[0].path, "/usr/bin/setup-net");
    EXPECT_THAT(spec.hooks.prestart[0].args, ElementsAre("setup-net", "--pid"));
    EXPECT_FALSE(spec.hooks.prestart[0].timeout.has_value());
    ASSERT_EQ(spec.hooks.create_runtime.size(), 1u);
    EXPECT_THAT(spec.hooks.create_runtime[0].env, ElementsAre("A=b"));
    EXPECT_EQ(spec.hooks.create_runtime[0].timeout, 5);
    ASSERT_EQ(spec.hooks.create_container.size(), 1u);
    EXPECT_EQ(spec.hooks.create_container[0].path, "/usr/bin/cc");
    ASSERT_EQ(spec.hooks.start_container.size(), 1u);
    ASSERT_EQ(spec.hooks.poststart.size(), 2u);
    EXPECT_EQ(spec.hooks.poststart[1].path, "/bin/ps2");
    ASSERT_EQ(spec.hooks.poststop.size(), 1u);
    EXPECT_EQ(spec.hooks.poststop[0].timeout, 30);
    EXPECT_FALSE(spec.hooks.empty());

    EXPECT_EQ(spec.annotations.size(), 2u);
    EXPECT_EQ(spec.annotations.at("io.berth.name"), "web");

    const Linux& l = spec.linux;
    ASSERT_EQ(l.namespaces.size(), 7u);
    const Namespace* net = l.find_namespace("network");
    ASSERT_NE(net, nullptr);
    EXPECT_EQ(net->path, "/var/run/netns/blue");
    ASSERT_NE(l.find_namespace("pid"), nullptr);
    EXPECT_TRUE(l.find_namespace("pid")->path.empty());
    EXPECT_EQ(l.find_namespace("time"), nullptr);
    ASSERT_EQ(l.uid_mappings.size(), 1u);
    EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
    EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(l.uid_mappings[0].size, 65536u);
    ASSERT_EQ(l.gid_mappings.size(), 1u);
    EXPECT_EQ(l.gid_mappings[0].host_id, 200000u);
    ASSERT_EQ(l.devices.size(), 2u);
    EXPECT_EQ(l.devices[0].type, "c");
    EXPECT_EQ(l.devices[0].path, "/dev/fuse");
    EXPECT_EQ(l.devices[0].major, 10);
    EXPECT_EQ(l.devices[0].minor, 229);
    ASSERT_TRUE(l.devices[0].file_mode.has_value());
    EXPECT_EQ(*l.devices[0].file_mode, 0666u);
    EXPECT_EQ(l.devices[0].uid, 0u);
    EXPECT_EQ(l.devices[0].gid, 0u);
    EXPECT_FALSE(l.devices[1].file_mode.has_value());
    EXPECT_FALSE(l.devices[1].uid.has_value());
    EXPECT_EQ(l.cgroups_path, "/berth/box");
    EXPECT_EQ(l.resources["memory"]["limit"], 536870912);
    EXPECT_EQ(l.rootfs_propagation, "rslave");
    EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore", "/sys/firmware"));
    EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys", "/proc/sysrq-trigger"));
    EXPECT_EQ(l.sysctl.size(), 2u);
    EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
    EXPECT_EQ(l.seccomp["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
}

TEST(ParseSpec, MinimalConfigGetsDefaults) {
    auto spec = parse_spec(Json::parse(R"({"ociVersion": "1.0.2", "root": {"path": "/r"},
                                           "process": {"args": ["sh"]}})"));
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    EXPECT_EQ(spec->process->cwd, "/");
    EXPECT_EQ(spec->process->user.uid, 0u);
    EXPECT_FALSE(spec->process->user.umask.has_value());
    EXPECT_FALSE(spec->process->capabilities.has_value());
    EXPECT_FALSE(spec->process->oom_score_adj.has_value());
    EXPECT_FALSE(spec->root.readonly);
    EXPECT_TRUE(spec->mounts.empty());
    EXPECT_TRUE(spec->hooks.empty());
    EXPECT_TRUE(spec->linux.namespaces.empty());
    EXPECT_TRUE(spec->linux.resources.is_null());

    // process is optional (create without a process is allowed by the spec).
    auto no_process = parse_spec(Json::parse(R"({"ociVersion": "1.1.0", "root": {"path": "r"}})"));
    ASSERT_TRUE(no_process.has_value()) << no_process.error().message();
    EXPECT_FALSE(no_process->process.has_value());
}

TEST(ParseSpec, NotAnObject) {
    EXPECT_THAT(parse_error(Json::array()), HasSubstr("config"));
    EXPECT_THAT(parse_error(Json("text")), HasSubstr("config"));
}

TEST(Validate, MissingOciVersion) {
    Json doc = full_config();
    doc.erase("ociVersion");
    EXPECT_THAT(parse_error(doc), StartsWith("ociVersion"));
    doc["ociVersion"] = "2.0.0";
    EXPECT_THAT(parse_error(doc), StartsWith("ociVersion"));
}

TEST(Validate, MissingRootPath) {
    Json doc = full_config();
    doc.erase("root");
    EXPECT_THAT(parse_error(doc), StartsWith("root.path"));
}

TEST(Validate, EmptyArgs) {
    Json doc = full_config();
    doc["process"]["args"] = Json::array();
    EXPECT_THAT(parse_error(doc), StartsWith("process.args"));
    doc["process"].erase("args");
    EXPECT_THAT(parse_error(doc), StartsWith("process.args"));
}

TEST(Validate, RelativeCwd) {
    Json doc = full_config();
    doc["process"]["cwd"] = "home/user";
    EXPECT_THAT(parse_error(doc), StartsWith("process.cwd"));
    doc["process"]["cwd"] = "";
    EXPECT_THAT(parse_error(doc), StartsWith("process.cwd"));
}

TEST(Validate, EnvMustBeKeyValue) {
    Json doc = full_config();
    doc["process"]["env"] = Json::array({"PATH=/bin", "NOEQUALS"});
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("process.env"));
    EXPECT_THAT(msg, HasSubstr("NOEQUALS"));
    doc["process"]["env"] = Json::array({"=value"});
    EXPECT_THAT(parse_error(doc), StartsWith("process.env"));
    doc["process"]["env"] = Json::array({""});
    EXPECT_THAT(parse_error(doc), StartsWith("process.env"));
}

TEST(Validate, UnknownNamespaceType) {
    Json doc = full_config();
    doc["linux"]["namespaces"].push_back({{"type", "bogus"}});
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("linux.namespaces"));
    EXPECT_THAT(msg, HasSubstr("bogus"));
}

TEST(Validate, NamespaceListedTwice) {
    Json doc = full_config();
    doc["linux"]["namespaces"].push_back({{"type", "pid"}, {"path", "/proc/1/ns/pid"}});
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("linux.namespaces"));
    EXPECT_THAT(msg, HasSubstr("pid"));
    EXPECT_THAT(msg, HasSubstr("twice"));
}

TEST(Validate, RelativeNamespacePath) {
    Json doc = full_config();
    doc["linux"]["namespaces"][1]["path"] = "var/run/netns/blue";
    EXPECT_THAT(parse_error(doc), StartsWith("linux.namespaces"));
}

TEST(Validate, MappingsWithoutUserNamespace) {
    Json doc = full_config();
    auto& namespaces = doc["linux"]["namespaces"];
    for (size_t i = 0; i < namespaces.size(); ++i) {
        if (namespaces[i]["type"] == "user") {
            namespaces.erase(i);
            break;
        }
    }
    EXPECT_THAT(parse_error(doc), StartsWith("linux.uidMappings"));

    // Joining an existing user namespace: no mappings either.
    doc = full_config();
    for (auto& ns : doc["linux"]["namespaces"])
        if (ns["type"] == "user") ns["path"] = "/proc/1/ns/user";
    EXPECT_THAT(parse_error(doc), StartsWith("linux.uidMappings"));
}

TEST(Validate, NewUserNamespaceNeedsBothMappings) {
    Json doc = full_config();
    doc["linux"].erase("gidMappings");
    EXPECT_THAT(parse_error(doc), StartsWith("linux.uidMappings"));
}

TEST(Validate, HostnameWithoutUtsNamespace) {
    Json doc = full_config();
    auto& namespaces = doc["linux"]["namespaces"];
    for (size_t i = 0; i < namespaces.size(); ++i) {
        if (namespaces[i]["type"] == "uts") {
            namespaces.erase(i);
            break;
        }
    }
    EXPECT_THAT(parse_error(doc), StartsWith("hostname"));
    doc.erase("hostname");
    EXPECT_TRUE(parse_spec(doc).has_value());
}

TEST(Validate, TimeOffsetsNeedATimeNamespace) {
    Json doc = full_config();
    doc["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10}, {"nanosecs", 5}}}};
    EXPECT_THAT(parse_error(doc), StartsWith("linux.timeOffsets"));
    doc["linux"]["namespaces"].push_back({{"type", "time"}});
    auto spec = parse_spec(doc);
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    EXPECT_EQ(spec->linux.time_offsets.at("monotonic").secs, 10);
    EXPECT_EQ(spec->linux.time_offsets.at("monotonic").nanosecs, 5u);
    doc["linux"]["timeOffsets"]["realtime"] = {{"secs", 1}};
    EXPECT_THAT(parse_error(doc), StartsWith("linux.timeOffsets"));
}

TEST(Validate, RelativeMountDestination) {
    Json doc = full_config();
    doc["mounts"][1]["destination"] = "data";
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("mounts"));
    EXPECT_THAT(msg, HasSubstr("\"data\""));
    doc["mounts"][1].erase("destination");
    EXPECT_THAT(parse_error(doc), StartsWith("mounts"));
}

TEST(Validate, UnknownDeviceType) {
    Json doc = full_config();
    doc["linux"]["devices"][0]["type"] = "x";
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("linux.devices"));
    EXPECT_THAT(msg, HasSubstr("/dev/fuse"));
    doc = full_config();
    doc["linux"]["devices"][0]["path"] = "dev/fuse";
    EXPECT_THAT(parse_error(doc), StartsWith("linux.devices"));
}

TEST(Validate, SoftRlimitAboveHard) {
    Json doc = full_config();
    doc["process"]["rlimits"][0]["soft"] = 8192;
    std::string msg = parse_error(doc);
    EXPECT_THAT(msg, StartsWith("process.rlimits"));
    EXPECT_THAT(msg, HasSubstr("RLIMIT_NOFILE"));
    doc = full_config();
    doc["process"]["rlimits"][0]["type"] = "NOFILE";
    EXPECT_THAT(parse_error(doc), StartsWith("process.rlimits"));
}

TEST(Validate, OomScoreAdjRange) {
    Json doc = full_config();
    doc["process"]["oomScoreAdj"] = 1001;
    EXPECT_THAT(parse_error(doc), StartsWith("process.oomScoreAdj"));
}

TEST(Validate, RootfsPropagation) {
    Json doc = full_config();
    doc["linux"]["rootfsPropagation"] = "sideways";
    EXPECT_THAT(parse_error(doc), StartsWith("linux.rootfsPropagation"));
}

TEST(Validate, Hooks) {
    Json doc = full_config();
    doc["hooks"]["poststop"][0]["path"] = "cleanup";
    EXPECT_THAT(parse_error(doc), StartsWith("hooks"));
    doc = full_config();
    doc["hooks"]["poststop"][0]["timeout"] = 0;
    EXPECT_THAT(parse_error(doc), StartsWith("hooks"));
}

TEST(Validate, OtherPlatformsAreRejected) {
    Json doc = full_config();
    doc["windows"] = Json::object();
    EXPECT_THAT(parse_error(doc), StartsWith("windows"));
    doc = full_config();
    doc["process"]["user"]["username"] = "Administrator";
    EXPECT_THAT(parse_error(doc), StartsWith("process.user.username"));
}

// Each case: a JSON pointer, a value of the wrong type, and the field the error must name.
struct WrongType {
    const char* pointer;
    Json value;
    const char* field;
};

TEST(Validate, WrongJsonTypesNameTheField) {
    const WrongType cases[] = {
        {"/process/user/uid", "root", "process.user.uid"},
        {"/process/user/uid", -1, "process.user.uid"},
        {"/process/user/uid", 4294967296ULL, "process.user.uid"},
        {"/process/user/gid", 1.5, "process.user.gid"},
        {"/process/user/umask", "022", "process.user.umask"},
        {"/process/user/additionalGids", Json::array({1, "wheel"}), "process.user.additionalGids"},
        {"/process/user/additionalGids", Json::array({1, -5}), "process.user.additionalGids"},
        {"/process/user", "root", "process.user"},
        {"/process", "sh", "process"},
        {"/process/terminal", "yes", "process.terminal"},
        {"/process/consoleSize/height", "tall", "process.consoleSize.height"},
        {"/process/args", "sh -c true", "process.args"},
        {"/process/env", Json::object({{"PATH", "/bin"}}), "process.env"},
        {"/process/cwd", 7, "process.cwd"},
        {"/process/capabilities/bounding", "CAP_KILL", "process.capabilities.bounding"},
        {"/process/rlimits", Json::object(), "process.rlimits"},
        {"/process/rlimits/0", "RLIMIT_NOFILE", "process.rlimits[0]"},
        {"/process/rlimits/0/hard", -1, "process.rlimits[0].hard"},
        {"/process/noNewPrivileges", 1, "process.noNewPrivileges"},
        {"/process/oomScoreAdj", "high", "process.oomScoreAdj"},
        {"/root", "rootfs", "config.root"},
        {"/root/readonly", "true", "root.readonly"},
        {"/mounts", Json::object(), "config.mounts"},
        {"/mounts/1", "/data", "mounts[1]"},
        {"/mounts/1/options", "ro", "mounts[1].options"},
        {"/mounts/1/source", 5, "mounts[1].source"},
        {"/hooks", Json::array(), "config.hooks"},
        {"/hooks/prestart", Json::object(), "hooks.prestart"},
        {"/hooks/prestart/0/path", 1, "hooks.prestart[0].path"},
        {"/hooks/poststop/0/timeout", "30s", "hooks.poststop[0].timeout"},
        {"/annotations", Json::array({1, 2}), "config.annotations"},
        {"/annotations/io.berth.name", 3, "config.annotations"},
        {"/hostname", 42, "config.hostname"},
        {"/linux", "linux", "config.linux"},
        {"/linux/namespaces", "pid", "linux.namespaces"},
        {"/linux/namespaces/0/type", 5, "linux.namespaces[0].type"},
        {"/linux/uidMappings/0/hostID", "100000", "linux.uidMappings[0].hostID"},
        {"/linux/gidMappings/0/size", -1, "linux.gidMappings[0].size"},
        {"/linux/devices/0/major", "ten", "linux.devices[0].major"},
        {"/linux/devices/0/fileMode", "0666", "linux.devices[0].fileMode"},
        {"/linux/devices/1/uid", -1, "linux.devices[1].uid"},
        {"/linux/sysctl", Json::array({"a", "b"}), "linux.sysctl"},
        {"/linux/sysctl/net.ipv4.ip_forward", 1, "linux.sysctl"},
        {"/linux/maskedPaths", "/proc/kcore", "linux.maskedPaths"},
        {"/linux/cgroupsPath", false, "linux.cgroupsPath"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.pointer) + " = " + c.value.dump());
        Json doc = full_config();
        doc[Json::json_pointer(c.pointer)] = c.value;
        EXPECT_THAT(parse_error(doc), StartsWith(c.field));
    }
}

TEST(ParseProcess, StandaloneProcessForExec) {
    auto p = parse_process(full_config()["process"]);
    ASSERT_TRUE(p.has_value()) << p.error().message();
    EXPECT_THAT(p->args, ElementsAre("/bin/sh", "-c", "echo hi"));
    EXPECT_TRUE(validate_process(*p).has_value());

    auto bad = parse_process(Json::parse(R"({"args": ["sh"], "user": {"uid": "root"}})"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_THAT(bad.error().message(), StartsWith("process.user.uid"));

    auto empty = parse_process(Json::parse(R"({"cwd": "/"})"));
    ASSERT_TRUE(empty.has_value());
    auto invalid = validate_process(*empty);
    ASSERT_FALSE(invalid.has_value());
    EXPECT_THAT(invalid.error().message(), StartsWith("process.args"));
}

TEST(DefaultSpec, ParsesAndValidates) {
    Json doc = default_spec_json();
    auto spec = parse_spec(doc);
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    EXPECT_TRUE(validate(*spec).has_value());
    EXPECT_EQ(spec->oci_version, "1.2.0");
    EXPECT_EQ(spec->root.path, "rootfs");
    EXPECT_TRUE(spec->root.readonly);
    EXPECT_EQ(spec->hostname, "berth");
    ASSERT_TRUE(spec->process.has_value());
    EXPECT_TRUE(spec->process->terminal);
    EXPECT_THAT(spec->process->args, ElementsAre("sh"));
    EXPECT_EQ(spec->process->cwd, "/");
    EXPECT_TRUE(spec->process->no_new_privileges);
    ASSERT_TRUE(spec->process->capabilities.has_value());
    EXPECT_THAT(spec->process->capabilities->bounding,
                ElementsAre("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
    ASSERT_EQ(spec->process->rlimits.size(), 1u);
    EXPECT_EQ(spec->process->rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(spec->process->rlimits[0].hard, 1024u);
    ASSERT_EQ(spec->mounts.size(), 7u);
    EXPECT_EQ(spec->mounts[0].destination, "/proc");
    EXPECT_EQ(spec->mounts[6].destination, "/sys/fs/cgroup");
    EXPECT_EQ(spec->linux.namespaces.size(), 6u);
    EXPECT_NE(spec->linux.find_namespace("uts"), nullptr);
    EXPECT_EQ(spec->linux.find_namespace("user"), nullptr);
    EXPECT_EQ(spec->linux.masked_paths.size(), 10u);
    EXPECT_EQ(spec->linux.readonly_paths.size(), 5u);
    EXPECT_TRUE(spec->linux.resources["devices"].is_array());

    // It survives a round trip through text, as `spec` writes it and `create` reads it.
    auto reparsed = parse_json(doc.dump(2), "config.json");
    ASSERT_TRUE(reparsed.has_value());
    EXPECT_TRUE(parse_spec(*reparsed).has_value());
}

TEST(LoadSpec, ReadsBundleConfig) {
    TempDir temp("berth-bundle");
    const std::string& bundle = temp.path();

    auto missing = load_spec(bundle);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_THAT(missing.error().message(), HasSubstr("config.json"));

    ASSERT_TRUE(write_file(bundle + "/config.json", default_spec_json().dump()).has_value());
    auto ok = load_spec(bundle);
    EXPECT_TRUE(ok.has_value()) << ok.error().message();

    ASSERT_TRUE(write_file(bundle + "/config.json", "{\"ociVersion\": }").has_value());
    auto syntax = load_spec(bundle);
    ASSERT_FALSE(syntax.has_value());
    EXPECT_THAT(syntax.error().message(), StartsWith(bundle + "/config.json: "));
    EXPECT_THAT(syntax.error().message(), HasSubstr("line 1"));

    Json doc = default_spec_json();
    doc["process"]["user"]["uid"] = "root";
    ASSERT_TRUE(write_file(bundle + "/config.json", doc.dump()).has_value());
    auto invalid = load_spec(bundle);
    ASSERT_FALSE(invalid.has_value());
    EXPECT_THAT(invalid.error().message(), StartsWith("config.json: process.user.uid"));
}

TEST(NamespaceCloneFlag, KnownTypes) {
    EXPECT_EQ(namespace_clone_flag("pid"), CLONE_NEWPID);
    EXPECT_EQ(namespace_clone_flag("network"), CLONE_NEWNET);
    EXPECT_EQ(namespace_clone_flag("mount"), CLONE_NEWNS);
    EXPECT_EQ(namespace_clone_flag("ipc"), CLONE_NEWIPC);
    EXPECT_EQ(namespace_clone_flag("uts"), CLONE_NEWUTS);
    EXPECT_EQ(namespace_clone_flag("user"), CLONE_NEWUSER);
    EXPECT_EQ(namespace_clone_flag("cgroup"), CLONE_NEWCGROUP);
    EXPECT_EQ(namespace_clone_flag("time"), CLONE_NEWTIME);
    EXPECT_EQ(namespace_clone_flag("net"), 0);
    EXPECT_EQ(namespace_clone_flag(""), 0);
}

}  // namespace
}  // namespace berth::oci
