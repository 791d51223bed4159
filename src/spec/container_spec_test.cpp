#include "spec/container_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "oci/runtime_spec.h"
#include "spec/network_files.h"
#include "spec/spec_parts.h"

namespace berth::spec {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/berth-spec-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { (void)remove_all(path); }
};

std::string error_of(const Json& config, const Json& host_config) {
    auto r = validate_container_config(config, host_config);
    if (r) return "";
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    return r.error().message();
}

TEST(ValidateContainerConfig, ZeroValuesAsTheDockerCliSendsThemPass) {
    Json hc = Json::parse(
        R"({"Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
      "NetworkMode": "bridge", "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
      "AutoRemove": true, "VolumeDriver": "", "VolumesFrom": null, "ConsoleSize": [40, 120],
      "CapAdd": null, "CapDrop": null, "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [],
      "ExtraHosts": null, "GroupAdd": null, "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0,
      "PidMode": "", "Privileged": false, "PublishAllPorts": false, "ReadonlyRootfs": false,
      "SecurityOpt": null, "UTSMode": "", "UsernsMode": "", "ShmSize": 0, "Isolation": "",
      "CpuShares": 0, "Memory": 0, "NanoCpus": 0, "CgroupParent": "", "BlkioWeight": 0,
      "BlkioWeightDevice": [], "BlkioDeviceReadBps": [], "CpuPeriod": 0, "CpuQuota": 0,
      "CpuRealtimePeriod": 0, "CpuRealtimeRuntime": 0, "CpusetCpus": "", "CpusetMems": "",
      "Devices": [], "DeviceCgroupRules": null, "DeviceRequests": null, "MemoryReservation": 0,
      "MemorySwap": 0, "MemorySwappiness": null, "OomKillDisable": null, "PidsLimit": null,
      "Ulimits": [], "CpuCount": 0, "CpuPercent": 0, "IOMaximumIOps": 0, "IOMaximumBandwidth": 0,
      "MaskedPaths": null, "ReadonlyPaths": null})");
    Json config =
        Json::parse(R"({"Hostname": "", "Tty": true, "Env": [], "Cmd": ["sh"], "Image": "busybox",
      "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "Labels": {}})");
    EXPECT_EQ(error_of(config, hc), "");
    for (const char* mode : {"", "default", "bridge", "none", "host"})
        EXPECT_EQ(error_of(config, {{"NetworkMode", mode}}), "") << mode;
}

TEST(ValidateContainerConfig, UnsupportedFieldsAreNamed) {
    EXPECT_THAT(
        error_of(Json::object(), {{"PortBindings", {{"80/tcp", {{{"HostPort", "8080"}}}}}}}),
        HasSubstr("HostConfig.PortBindings is not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"VolumesFrom", {"other"}}}),
                HasSubstr("HostConfig.VolumesFrom is not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"NetworkMode", "mynet"}}),
                HasSubstr("networks are not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"NetworkMode", "container:abc"}}),
                HasSubstr("not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"IpcMode", "host"}}), HasSubstr("not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"Binds", {"myvol:/data"}}}),
                HasSubstr("named volumes are not supported yet"));
    EXPECT_THAT(error_of(Json::object(),
                         {{"Mounts", {{{"Type", "volume"}, {"Source", "v"}, {"Target", "/v"}}}}}),
                HasSubstr("named volumes are not supported yet"));
    EXPECT_THAT(error_of(Json::object(), {{"ExtraHosts", {"gw:host-gateway"}}}),
                HasSubstr("host-gateway is not supported yet"));
}

TEST(ValidateContainerConfig, DockersValueChecks) {
    Json c = Json::object();
    EXPECT_EQ(error_of(c, {{"Memory", -1}}), "Minimum memory limit allowed is 6MB");
    EXPECT_EQ(error_of(c, {{"Memory", 1024}}), "Minimum memory limit allowed is 6MB");
    EXPECT_EQ(error_of(c, {{"Memory", 64 << 20}, {"MemorySwap", 32 << 20}}),
              "Minimum memoryswap limit should be larger than memory limit, see usage");
    EXPECT_EQ(error_of(c, {{"MemorySwap", 64 << 20}}),
              "You should always set the Memory limit when using Memoryswap limit, see usage");
    EXPECT_EQ(error_of(c, {{"Memory", 64 << 20}, {"MemorySwap", -1}}), "");
    EXPECT_EQ(error_of(c, {{"NanoCpus", 500000000}, {"CpuPeriod", 100000}}),
              "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    EXPECT_EQ(error_of(c, {{"NanoCpus", 500000000}, {"CpuQuota", 50000}}),
              "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    EXPECT_THAT(error_of(c, {{"NanoCpus", int64_t{100000} * 1000000000}}),
                HasSubstr("range of CPUs is from 0.01"));
    EXPECT_EQ(error_of(c, {{"CpuShares", -2}}),
              "invalid CPU shares (-2): value must be a positive integer");
    EXPECT_EQ(
        error_of(c, {{"CpuPeriod", 10}}),
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    EXPECT_EQ(error_of(c, {{"CpusetCpus", "0-a"}}), "Invalid value 0-a for cpuset cpus");
    EXPECT_EQ(error_of(c, {{"BlkioWeight", 5}}), "Range of blkio weight is from 10 to 1000");
    EXPECT_EQ(error_of(c, {{"OomScoreAdj", 1001}}),
              "Invalid value 1001, range for oom score adj is [-1000, 1000]");
    EXPECT_EQ(error_of(c, {{"ShmSize", -1}}), "SHM size can not be less than 0");
    EXPECT_EQ(error_of(c, {{"RestartPolicy", {{"Name", "sometimes"}}}}),
              "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
              "'on-failure', or 'unless-stopped'");
    EXPECT_EQ(error_of(c, {{"RestartPolicy", {{"Name", "always"}, {"MaximumRetryCount", 3}}}}),
              "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    EXPECT_EQ(error_of(c, {{"AutoRemove", true}, {"RestartPolicy", {{"Name", "always"}}}}),
              "can't create 'AutoRemove' container with restart policy");
    EXPECT_EQ(error_of(c, {{"Memory", "lots"}}),
              "HostConfig.Memory: must be an integer, not string");
    EXPECT_EQ(error_of(c, {{"CapAdd", {"SYS_FLY"}}}),
              "invalid CapAdd: unknown capability: \"CAP_SYS_FLY\"");
    EXPECT_EQ(error_of(c, {{"SecurityOpt", {"mask=all"}}}),
              "invalid --security-opt 2: \"mask=all\"");
    EXPECT_THAT(error_of(c, {{"SecurityOpt", {"seccomp={not json"}}}),
                HasSubstr("Decoding seccomp profile failed"));
    EXPECT_EQ(error_of(c, {{"Ulimits", {{{"Name", "nofile"}, {"Soft", 2048}, {"Hard", 1024}}}}}),
              "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024");
    EXPECT_EQ(error_of(c, {{"Ulimits", {{{"Name", "files"}, {"Soft", 1}, {"Hard", 1}}}}}),
              "invalid ulimit type: files");
    EXPECT_THAT(error_of(c, {{"Sysctls", {{"vm.swappiness", "10"}}}}), HasSubstr("is not allowed"));
    EXPECT_THAT(error_of(c, {{"NetworkMode", "host"}, {"Sysctls", {{"net.ipv4.ip_forward", "1"}}}}),
                HasSubstr("not allowed in host network mode"));
    EXPECT_EQ(error_of(c, {{"Sysctls", {{"net.ipv4.ip_forward", "1"}, {"kernel.shmmax", "1"}}}}),
              "");
    EXPECT_EQ(error_of(c, {{"DeviceCgroupRules", {"c 1:3 rwx"}}}),
              "invalid device cgroup rule format: 'c 1:3 rwx'");
    EXPECT_EQ(error_of(c, {{"ExtraHosts", {"db"}}}), "bad format for add-host: \"db\"");
    EXPECT_EQ(error_of(c, {{"ExtraHosts", {"db:10.0.0"}}}),
              "invalid IP address in add-host: \"10.0.0\"");
    EXPECT_EQ(error_of({{"WorkingDir", "app"}}, Json::object()),
              "the working directory 'app' is invalid, it needs to be an absolute path");
    EXPECT_EQ(error_of({{"Env", {"=x"}}}, Json::object()), "invalid environment variable: =x");
    EXPECT_EQ(error_of({{"StopSignal", "SIGFOO"}}, Json::object()), "Invalid signal: SIGFOO");
    EXPECT_EQ(error_of({{"StopSignal", "SIGRTMIN+3"}}, Json::object()), "");
    EXPECT_EQ(error_of({{"Healthcheck", {{"Retries", -1}}}}, Json::object()),
              "Retries in Healthcheck cannot be negative");
    EXPECT_EQ(error_of({{"Hostname", std::string(65, 'h')}}, Json::object()),
              "hostname \"" + std::string(65, 'h') + "\" is too long (maximum 64 bytes)");
}

TEST(ValidateContainerConfig, MountErrors) {
    Json c = Json::object();
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:data"}}}),
              "invalid volume specification: '/tmp:data': invalid mount config for type \"bind\": "
              "invalid mount path: "
              "'data' mount path must be absolute");
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:/"}}}),
              "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": "
              "invalid specification: "
              "destination can't be '/'");
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:/x:rw,ro"}}}), "invalid mode: rw,ro");
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:/x:bogus"}}}), "invalid mode: bogus");
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:ro"}}}), "invalid volume specification: '/tmp:ro'");
    EXPECT_EQ(error_of(c, {{"Binds", {"/a:/b:ro:x"}}}),
              "invalid volume specification: '/a:/b:ro:x'");
    EXPECT_THAT(error_of(c, {{"Binds", {"/data"}}}),
                HasSubstr("anonymous volumes are not supported yet"));
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:/x", "/var:/x"}}}), "Duplicate mount point: /x");
    EXPECT_EQ(
        error_of(c,
                 {{"Mounts", {{{"Type", "bind"}, {"Source", "/no/such/dir"}, {"Target", "/x"}}}}}),
        "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir");
    EXPECT_EQ(error_of(c, {{"Mounts",
                            {{{"Type", "bind"},
                              {"Source", "/tmp"},
                              {"Target", "/x"},
                              {"BindOptions", {{"Propagation", "sideways"}}}}}}}),
              "invalid mount config for type \"bind\": invalid propagation mode: sideways");
    EXPECT_EQ(error_of(c, {{"Mounts", {{{"Type", "tmpfs"}, {"Source", "x"}, {"Target", "/x"}}}}}),
              "invalid mount config for type \"tmpfs\": field Source must not be specified");
    EXPECT_EQ(error_of(c, {{"Mounts", {{{"Type", "fuse"}, {"Target", "/x"}}}}}),
              "invalid mount config for type \"fuse\": mount type unknown");
    EXPECT_THAT(error_of(c, {{"Tmpfs", {{"/run", "size=1m,bogus"}}}}),
                HasSubstr("invalid tmpfs option \"bogus\""));
    EXPECT_EQ(error_of(c, {{"Binds", {"/tmp:/x:ro,rshared,z"}},
                           {"Tmpfs", {{"/run", "rw,exec,size=1m"}}}}),
              "");
}

TEST(ParseBind, OptionsOfBinds) {
    auto m = spec::parse_bind("/srv/data/:/data//x:ro,rslave").value();
    EXPECT_EQ(m.source, "/srv/data");
    EXPECT_EQ(m.destination, "/data/x");
    EXPECT_TRUE(m.read_only);
    EXPECT_EQ(m.propagation, "rslave");
    EXPECT_TRUE(m.create_source);
    auto rw = spec::parse_bind("/a:/b").value();
    EXPECT_FALSE(rw.read_only);
    EXPECT_EQ(rw.propagation, "rprivate");
}

TEST(MergeTmpfsOptions, LaterOptionsWin) {
    auto merged = spec::merge_tmpfs_options(
                      {"noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m"})
                      .value();
    EXPECT_EQ(merged, (std::vector<std::string>{"nosuid", "nodev", "rprivate", "exec", "size=2m"}));
}

// A root file system and a container directory with the network files.
struct Fixture {
    TempDir dir;
    SpecContext context;
    Fixture() {
        context.container_id = kId;
        context.rootfs = dir.path + "/rootfs";
        context.container_dir = dir.path + "/ctr";
        context.init_binary = "/usr/local/bin/berth-init";
        EXPECT_TRUE(mkdir_all(context.rootfs + "/etc"));
        EXPECT_TRUE(mkdir_all(context.container_dir));
        EXPECT_TRUE(
            write_file(context.rootfs + "/etc/passwd",
                       "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"));
        EXPECT_TRUE(
            write_file(context.rootfs + "/etc/group", "root:x:0:\napp:x:1000:\nvideo:x:44:app\n"));
    }
    Json build(const Json& config, const Json& hc) {
        auto valid = validate_container_config(config, hc);
        EXPECT_TRUE(valid) << valid.error().message();
        auto spec = build_runtime_spec(config, hc, context);
        EXPECT_TRUE(spec) << spec.error().message();
        if (!spec) return Json();
        // What we emit is what our runtime accepts.
        auto parsed = oci::parse_spec(*spec);
        EXPECT_TRUE(parsed) << parsed.error().message();
        if (parsed) {
            auto checked = oci::validate(*parsed);
            EXPECT_TRUE(checked) << checked.error().message();
        }
        return *spec;
    }
};

const Json* find_mount(const Json& spec, const std::string& dest) {
    for (const Json& m : spec["mounts"])
        if (m["destination"] == dest) return &m;
    return nullptr;
}

std::vector<std::string> namespaces_of(const Json& spec) {
    std::vector<std::string> out;
    for (const Json& ns : spec["linux"]["namespaces"])
        out.push_back(ns["type"]);
    return out;
}

TEST(BuildRuntimeSpec, DefaultContainer) {
    Fixture f;
    Json spec = f.build(
        {{"Cmd", {"sh", "-c", "true"}}, {"Entrypoint", {"/entry"}}, {"Env", {"A=1", "PATH=/bin"}}},
        {{"NetworkMode", "bridge"}});
    EXPECT_EQ(spec["process"]["args"], Json::parse(R"(["/entry", "sh", "-c", "true"])"));
    EXPECT_EQ(spec["process"]["env"],
              Json::parse(R"(["PATH=/bin", "HOSTNAME=0123456789ab", "A=1", "HOME=/root"])"));
    EXPECT_EQ(spec["process"]["cwd"], "/");
    EXPECT_EQ(spec["process"]["user"],
              Json::parse(R"({"uid": 0, "gid": 0, "additionalGids": [0]})"));
    EXPECT_EQ(spec["process"]["capabilities"]["bounding"].size(), 14u);
    EXPECT_FALSE(spec["process"].contains("rlimits"));  // dockerd sets none: berthd's are inherited
    EXPECT_EQ(spec["hostname"], "0123456789ab");
    EXPECT_EQ(spec["root"]["path"], f.context.rootfs);
    EXPECT_THAT(namespaces_of(spec), Contains("network"));
    EXPECT_THAT(namespaces_of(spec), Contains("pid"));
    EXPECT_EQ(spec["linux"]["cgroupsPath"], "/berth/" + kId);
    ASSERT_NE(find_mount(spec, "/dev/shm"), nullptr);
    EXPECT_THAT((*find_mount(spec, "/dev/shm"))["options"], Contains("size=67108864"));
    ASSERT_NE(find_mount(spec, "/etc/resolv.conf"), nullptr);
    EXPECT_EQ((*find_mount(spec, "/etc/hosts"))["source"], f.context.container_dir + "/hosts");
    EXPECT_EQ((*find_mount(spec, "/etc/hosts"))["options"],
              Json::parse(R"(["rbind", "rprivate"])"));
    EXPECT_THAT(spec["linux"]["maskedPaths"], Contains("/proc/kcore"));
    EXPECT_THAT(spec["linux"]["readonlyPaths"], Contains("/proc/sys"));
    EXPECT_EQ(spec["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(spec["linux"]["resources"]["devices"][0],
              Json::parse(R"({"allow": false, "access": "rwm"})"));
    EXPECT_EQ((*find_mount(spec, "/sys"))["options"],
              Json::parse(R"(["nosuid", "noexec", "nodev", "ro"])"));
}

TEST(BuildRuntimeSpec, NoCommandIsAnError) {
    Fixture f;
    auto r = build_runtime_spec(Json::object(), Json::object(), f.context);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "no command specified");
}

TEST(BuildRuntimeSpec, UserTtyWorkdirAndInit) {
    Fixture f;
    Json spec = f.build({{"Cmd", {"top"}},
                         {"User", "app"},
                         {"Tty", true},
                         {"WorkingDir", "/srv/"},
                         {"Env", {"TERM=dumb", "HOSTNAME"}},
                         {"Hostname", "web"},
                         {"Domainname", "example.org"}},
                        {{"Init", true}, {"GroupAdd", {"44", "7"}}, {"ConsoleSize", {30, 100}}});
    EXPECT_EQ(spec["process"]["args"], Json::parse(R"(["/sbin/docker-init", "--", "top"])"));
    EXPECT_EQ(spec["process"]["user"],
              Json::parse(R"({"uid": 1000, "gid": 1000, "additionalGids": [1000, 44, 7]})"));
    EXPECT_EQ(spec["process"]["env"],
              Json::parse(R"(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                                      "TERM=dumb", "HOME=/home/app"])"));
    EXPECT_TRUE(spec["process"]["terminal"]);
    EXPECT_EQ(spec["process"]["consoleSize"], Json::parse(R"({"height": 30, "width": 100})"));
    EXPECT_EQ(spec["process"]["cwd"], "/srv");
    EXPECT_EQ(spec["hostname"], "web");
    EXPECT_EQ(spec["linux"]["sysctl"]["kernel.domainname"], "example.org");
    const Json* init = find_mount(spec, "/sbin/docker-init");
    ASSERT_NE(init, nullptr);
    EXPECT_EQ((*init)["source"], "/usr/local/bin/berth-init");
    EXPECT_EQ((*init)["options"], Json::parse(R"(["bind", "ro"])"));

    auto missing =
        build_runtime_spec({{"Cmd", {"x"}}, {"User", "ghost"}}, Json::object(), f.context);
    ASSERT_FALSE(missing);
    EXPECT_THAT(missing.error().message(),
                HasSubstr("unable to find user ghost: no matching entries in passwd file"));
}

TEST(BuildRuntimeSpec, PrivilegedVersusDefault) {
    Fixture f;
    Json spec = f.build({{"Cmd", {"sh"}}}, {{"Privileged", true}});
    EXPECT_GT(spec["process"]["capabilities"]["bounding"].size(), 14u);
    EXPECT_THAT(spec["process"]["capabilities"]["bounding"], Contains("CAP_SYS_ADMIN"));
    EXPECT_FALSE(spec["linux"].contains("seccomp"));
    EXPECT_TRUE(spec["linux"]["maskedPaths"].empty());
    EXPECT_TRUE(spec["linux"]["readonlyPaths"].empty());
    EXPECT_EQ(spec["linux"]["resources"]["devices"],
              Json::parse(R"([{"allow": true, "access": "rwm"}])"));
    EXPECT_GT(spec["linux"]["devices"].size(), 0u);
    EXPECT_THAT((*find_mount(spec, "/sys"))["options"], Not(Contains("ro")));
    EXPECT_THAT((*find_mount(spec, "/sys/fs/cgroup"))["options"], Not(Contains("ro")));
}

TEST(BuildRuntimeSpec, CapsAndSecurityOptions) {
    Fixture f;
    Json spec = f.build(
        {{"Cmd", {"sh"}}},
        {{"CapAdd", {"sys_admin"}},
         {"CapDrop", {"CAP_NET_RAW"}},
         {"SecurityOpt", {"no-new-privileges", "apparmor=docker-default", "label=disable"}}});
    EXPECT_THAT(spec["process"]["capabilities"]["effective"], Contains("CAP_SYS_ADMIN"));
    EXPECT_THAT(spec["process"]["capabilities"]["effective"], Not(Contains("CAP_NET_RAW")));
    EXPECT_TRUE(spec["process"]["noNewPrivileges"]);
    bool mount_allowed = false;
    for (const Json& rule : spec["linux"]["seccomp"]["syscalls"])
        for (const Json& n : rule["names"])
            mount_allowed |= n == "mount";
    EXPECT_TRUE(mount_allowed);

    Json unconfined = f.build({{"Cmd", {"sh"}}},
                              {{"SecurityOpt", {"seccomp=unconfined", "systempaths=unconfined"}}});
    EXPECT_FALSE(unconfined["linux"].contains("seccomp"));
    EXPECT_TRUE(unconfined["linux"]["maskedPaths"].empty());

    Json custom = f.build(
        {{"Cmd", {"sh"}}},
        {{"SecurityOpt",
          {R"(seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO"}]})"}}});
    EXPECT_EQ(custom["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ALLOW");
    EXPECT_EQ(custom["linux"]["seccomp"]["syscalls"].size(), 1u);
}

TEST(BuildRuntimeSpec, BindsMountsTmpfsAndReadonlyRootfs) {
    Fixture f;
    std::string src = f.dir.path + "/src";
    std::string missing = f.dir.path + "/made/by/start";
    ASSERT_TRUE(mkdir_all(src));
    Json hc = {{"Binds", {src + ":/data:ro", missing + ":/made"}},
               {"Mounts",
                {{{"Type", "bind"},
                  {"Source", src},
                  {"Target", "/data/sub"},
                  {"ReadOnly", true},
                  {"BindOptions", {{"NonRecursive", true}, {"ReadOnlyNonRecursive", true}}}},
                 {{"Type", "tmpfs"},
                  {"Target", "/cache"},
                  {"TmpfsOptions", {{"SizeBytes", 1 << 20}, {"Mode", 0700}}}}}},
               {"Tmpfs", {{"/run", "exec,size=2m"}}},
               {"ReadonlyRootfs", true},
               {"ShmSize", 1 << 20}};
    Json spec = f.build({{"Cmd", {"sh"}}}, hc);
    EXPECT_TRUE(path_exists(missing));  // docker creates a missing -v source
    EXPECT_TRUE(spec["root"]["readonly"]);
    const Json* data = find_mount(spec, "/data");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ((*data)["type"], "bind");
    EXPECT_EQ((*data)["options"], Json::parse(R"(["rbind", "rro", "rprivate"])"));
    EXPECT_EQ((*find_mount(spec, "/data/sub"))["options"],
              Json::parse(R"(["bind", "ro", "rprivate"])"));
    EXPECT_EQ((*find_mount(spec, "/made"))["options"], Json::parse(R"(["rbind", "rprivate"])"));
    EXPECT_EQ((*find_mount(spec, "/cache"))["options"],
              Json::parse(R"(["noexec", "nosuid", "nodev", "rprivate", "mode=700", "size=1m"])"));
    EXPECT_EQ((*find_mount(spec, "/run"))["options"],
              Json::parse(R"(["nosuid", "nodev", "rprivate", "exec", "size=2m"])"));
    // Read-only root: docker's own mounts become read-only, the user's keep their mode.
    EXPECT_THAT((*find_mount(spec, "/etc/hosts"))["options"], Contains("rro"));
    EXPECT_THAT((*find_mount(spec, "/dev/shm"))["options"], Not(Contains("ro")));
    EXPECT_THAT((*find_mount(spec, "/dev/shm"))["options"], Contains("size=1048576"));
    // Parents before children.
    size_t data_at = 0, sub_at = 0;
    for (size_t i = 0; i < spec["mounts"].size(); ++i) {
        if (spec["mounts"][i]["destination"] == "/data") data_at = i;
        if (spec["mounts"][i]["destination"] == "/data/sub") sub_at = i;
    }
    EXPECT_LT(data_at, sub_at);
}

TEST(BuildRuntimeSpec, UserMountReplacesNetworkFileAndDev) {
    Fixture f;
    std::string src = f.dir.path + "/resolv";
    ASSERT_TRUE(write_file(src, "nameserver 1.2.3.4\n"));
    Json spec =
        f.build({{"Cmd", {"sh"}}},
                {{"Mounts", {{{"Type", "bind"}, {"Source", src}, {"Target", "/etc/resolv.conf"}}}},
                 {"IpcMode", "none"}});
    int count = 0;
    for (const Json& m : spec["mounts"])
        if (m["destination"] == "/etc/resolv.conf") {
            ++count;
            EXPECT_EQ(m["source"], src);
        }
    EXPECT_EQ(count, 1);
    EXPECT_EQ(find_mount(spec, "/dev/shm"), nullptr);  // IpcMode none: no /dev/shm
}

TEST(MergeDefaultUlimits, TheContainersOwnLimitsWinDefaultsFillTheRest) {
    Json defaults = Json::parse(R"([{"Name": "nofile", "Soft": 100, "Hard": 200},
                                    {"Name": "nproc", "Soft": 50, "Hard": 60}])");
    Json hc = Json::parse(R"({"Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 4096}]})");
    EXPECT_EQ(merge_default_ulimits(hc, defaults)["Ulimits"],
              Json::parse(R"([{"Name": "nofile", "Soft": 1024, "Hard": 4096},
                              {"Name": "nproc", "Soft": 50, "Hard": 60}])"));
    EXPECT_EQ(merge_default_ulimits(Json::object(), defaults)["Ulimits"], defaults);
    EXPECT_EQ(merge_default_ulimits(hc, Json::array()), hc);
}

TEST(BuildRuntimeSpec, ResourcesUlimitsSysctlsDevices) {
    Fixture f;
    Json hc = {
        {"Memory", 64 << 20},
        {"MemoryReservation", 32 << 20},
        {"NanoCpus", 1500000000},
        {"CpuShares", 512},
        {"CpusetCpus", "0"},
        {"PidsLimit", 0},
        {"BlkioWeight", 300},
        {"Ulimits",
         {{{"Name", "nofile"}, {"Soft", 1024}, {"Hard", 4096}},
          {{"Name", "core"}, {"Soft", -1}, {"Hard", -1}}}},
        {"Sysctls", {{"net.ipv4.ip_unprivileged_port_start", "80"}, {"kernel.shmmax", "1000"}}},
        {"Devices",
         {{{"PathOnHost", "/dev/null"},
           {"PathInContainer", "/dev/mynull"},
           {"CgroupPermissions", "rw"}}}},
        {"DeviceCgroupRules", {"c 10:* rwm"}},
        {"OomScoreAdj", 500},
        {"CgroupParent", "/custom"}};
    Json spec = f.build({{"Cmd", {"sh"}}}, hc);
    const Json& r = spec["linux"]["resources"];
    EXPECT_EQ(r["memory"]["limit"], 64 << 20);
    EXPECT_EQ(r["memory"]["reservation"], 32 << 20);
    EXPECT_EQ(r["cpu"]["period"], 100000);
    EXPECT_EQ(r["cpu"]["quota"], 150000);
    EXPECT_EQ(r["cpu"]["shares"], 512);
    EXPECT_EQ(r["cpu"]["cpus"], "0");
    EXPECT_FALSE(r.contains("pids"));  // 0: unlimited
    EXPECT_EQ(r["blockIO"]["weight"], 300);
    EXPECT_EQ(spec["process"]["rlimits"],
              Json::parse(R"([{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
                                      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 18446744073709551615}])"));
    EXPECT_EQ(spec["process"]["oomScoreAdj"], 500);
    EXPECT_EQ(spec["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"], "80");
    EXPECT_EQ(spec["linux"]["sysctl"]["kernel.shmmax"], "1000");
    EXPECT_EQ(spec["linux"]["cgroupsPath"], "/custom/" + kId);
    ASSERT_EQ(spec["linux"]["devices"].size(), 1u);
    EXPECT_EQ(spec["linux"]["devices"][0]["path"], "/dev/mynull");
    EXPECT_EQ(spec["linux"]["devices"][0]["major"], 1);
    const Json& rules = r["devices"];
    EXPECT_EQ(
        rules[rules.size() - 2],
        Json::parse(R"({"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"})"));
    EXPECT_EQ(rules[rules.size() - 1],
              Json::parse(R"({"allow": true, "type": "c", "major": 10, "access": "rwm"})"));

    auto bad = build_runtime_spec({{"Cmd", {"sh"}}}, {{"Devices", {{{"PathOnHost", "/dev/nope"}}}}},
                                  f.context);
    ASSERT_FALSE(bad);
    EXPECT_THAT(bad.error().message(), HasSubstr("error gathering device information"));
}

TEST(BuildRuntimeSpec, HostNetworkPidAndUts) {
    Fixture f;
    Json spec = f.build(
        {{"Cmd", {"sh"}}},
        {{"NetworkMode", "host"}, {"PidMode", "host"}, {"UTSMode", "host"}, {"Init", true}});
    auto ns = namespaces_of(spec);
    EXPECT_THAT(ns, Not(Contains("network")));
    EXPECT_THAT(ns, Not(Contains("pid")));
    EXPECT_THAT(ns, Not(Contains("uts")));
    EXPECT_THAT(ns, Contains("mount"));
    EXPECT_FALSE(spec.contains("hostname"));
    EXPECT_EQ(spec["process"]["args"],
              Json::parse(R"(["sh"])"));  // no init with the host's PID namespace
    EXPECT_FALSE(spec["linux"].contains("sysctl") &&
                 spec["linux"]["sysctl"].contains("net.ipv4.ping_group_range"));
}

TEST(CompleteHostConfig, DockersCreateDefaults) {
    Json hc = complete_host_config({{"Memory", 64 << 20}});
    EXPECT_EQ(hc["ShmSize"], 64 << 20);
    EXPECT_EQ(hc["OomKillDisable"], false);
    EXPECT_EQ(hc["IpcMode"], "private");
    EXPECT_TRUE(hc["CgroupnsMode"] == "host" || hc["CgroupnsMode"] == "private");
}

}  // namespace
}  // namespace berth::spec
