#include "cli/container_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/byte_size.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t end = text.find(separator, start);
        parts.emplace_back(text.substr(start, end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

std::unexpected<Error> invalid(std::string message) {
    return fail(ErrorKind::InvalidArgument, std::move(message));
}

// docker's env-file format: NAME=value lines, NAME alone takes the value from the environment,
// blank lines and # comments are skipped.
Result<std::vector<std::string>> read_env_file(const std::string& path, const Environment& env) {
    std::string text = TRY(env.read_file(path));
    std::vector<std::string> out;
    for (auto& raw : split(text, '\n')) {
        std::string line = raw;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        line.erase(0, line.find_first_not_of(" \t"));
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        std::string name = line.substr(0, eq);
        if (name.empty()) return invalid("invalid environment variable: " + line);
        if (name.find_first_of(" \t") != std::string::npos)
            return invalid("variable '" + name + "' contains whitespaces");
        if (eq != std::string::npos) {
            out.push_back(line);
        } else if (auto value = env.get(name)) {
            out.push_back(name + "=" + *value);
        }
    }
    return out;
}

Result<std::string> env_entry(const std::string& entry, const Environment& env) {
    if (entry.empty() || entry[0] == '=') return invalid("invalid environment variable: " + entry);
    if (entry.find('=') != std::string::npos) return entry;
    if (auto value = env.get(entry)) return entry + "=" + *value;
    return entry;
}

Result<Json> parse_mount(const std::string& spec) {
    Json mount = Json::object();
    std::string type = "volume";
    Json bind_options, tmpfs_options, volume_options;
    for (auto& field : split(spec, ',')) {
        auto eq = field.find('=');
        std::string key = field.substr(0, eq);
        std::transform(key.begin(), key.end(), key.begin(), ::tolower);
        std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
        auto boolean = [&]() -> Result<bool> {
            if (eq == std::string::npos || value == "1" || value == "true") return true;
            if (value == "0" || value == "false") return false;
            return invalid("invalid value for " + key + ": " + value);
        };
        if (key == "type") {
            type = value;
        } else if (key == "source" || key == "src") {
            mount["Source"] = value;
        } else if (key == "target" || key == "destination" || key == "dst") {
            mount["Target"] = value;
        } else if (key == "readonly" || key == "ro") {
            mount["ReadOnly"] = TRY(boolean());
        } else if (key == "bind-propagation") {
            bind_options["Propagation"] = value;
        } else if (key == "tmpfs-size") {
            tmpfs_options["SizeBytes"] = TRY(parse_ram_in_bytes(value));
        } else if (key == "tmpfs-mode") {
            char* end = nullptr;
            long mode = std::strtol(value.c_str(), &end, 8);
            if (value.empty() || *end) return invalid("invalid value for tmpfs-mode: " + value);
            tmpfs_options["Mode"] = mode;
        } else if (key == "volume-nocopy") {
            volume_options["NoCopy"] = TRY(boolean());
        } else if (key == "consistency") {
            mount["Consistency"] = value;
        } else {
            return invalid("unexpected key '" + key + "' in '" + field + "'");
        }
    }
    if (type != "bind" && type != "volume" && type != "tmpfs")
        return invalid("invalid mount type: " + type);
    if (!mount.contains("Target")) return invalid("target is required");
    Json out = {{"Type", type}};
    for (auto& [key, value] : mount.items())
        out[key] = value;
    if (!bind_options.is_null()) out["BindOptions"] = bind_options;
    if (!tmpfs_options.is_null()) out["TmpfsOptions"] = tmpfs_options;
    if (!volume_options.is_null()) out["VolumeOptions"] = volume_options;
    return out;
}

Result<Json> parse_ulimit(const std::string& spec) {
    auto eq = spec.find('=');
    if (eq == std::string::npos) return invalid("invalid ulimit argument: " + spec);
    auto limits = split(spec.substr(eq + 1), ':');
    if (limits.size() > 2) return invalid("too many limit value arguments - " + spec);
    auto number = [&](const std::string& text) -> Result<int64_t> {
        char* end = nullptr;
        long long value = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end) return invalid("invalid ulimit argument: " + spec);
        return static_cast<int64_t>(value);
    };
    int64_t soft = TRY(number(limits[0]));
    int64_t hard = limits.size() == 2 ? TRY(number(limits[1])) : soft;
    if (soft > hard)
        return invalid("ulimit soft limit must be less than or equal to hard limit: " + spec);
    return Json{{"Name", spec.substr(0, eq)}, {"Hard", hard}, {"Soft", soft}};
}

Result<Json> parse_device(const std::string& spec) {
    auto parts = split(spec, ':');
    if (parts.size() > 3 || parts[0].empty())
        return invalid("invalid device specification: " + spec);
    std::string in_container = parts[0], permissions = "rwm";
    if (parts.size() >= 2) {
        bool is_mode = parts.size() == 2 && parts[1].find_first_not_of("rwm") == std::string::npos;
        if (is_mode)
            permissions = parts[1];
        else
            in_container = parts[1];
    }
    if (parts.size() == 3) permissions = parts[2];
    return Json{{"PathOnHost", parts[0]},
                {"PathInContainer", in_container},
                {"CgroupPermissions", permissions}};
}

Result<Json> parse_restart(const std::string& spec) {
    if (spec.empty()) return Json{{"Name", "no"}, {"MaximumRetryCount", 0}};
    auto colon = spec.find(':');
    std::string name = spec.substr(0, colon);
    int retries = 0;
    if (colon != std::string::npos) {
        if (name != "on-failure")
            return invalid(
                "invalid restart policy format: maximum retry count can only be used "
                "with 'on-failure'");
        char* end = nullptr;
        retries = static_cast<int>(std::strtol(spec.c_str() + colon + 1, &end, 10));
        if (*end || colon + 1 == spec.size())
            return invalid("invalid restart policy format: maximum retry count must be an integer");
    }
    return Json{{"Name", name}, {"MaximumRetryCount", retries}};
}

std::string capability(std::string name) {
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    if (name == "ALL" || name.starts_with("CAP_")) return name;
    return "CAP_" + name;
}

Result<int64_t> duration_flag(const std::string& text, const std::string& flag) {
    if (text.empty()) return 0;
    auto nanos = parse_go_duration(text);
    if (!nanos)
        return invalid("invalid argument \"" + text + "\" for \"" + flag +
                       "\" flag: " + nanos.error().message());
    return *nanos;
}

Result<int64_t> size_flag(const std::string& text, const std::string& flag) {
    if (text.empty()) return 0;
    if (text == "-1" && flag == "--memory-swap") return -1;
    auto bytes = parse_ram_in_bytes(text);
    if (!bytes)
        return invalid("invalid argument \"" + text + "\" for \"" + flag +
                       "\" flag: " + bytes.error().message());
    return *bytes;
}

}  // namespace

Result<Json> restart_policy_flag(const std::string& spec) {
    return parse_restart(spec);
}

Result<int64_t> size_flag_value(const std::string& text, const std::string& flag) {
    return size_flag(text, flag);
}

Result<int64_t> cpus_flag(const std::string& text) {
    if (text.empty()) return 0;
    char* end = nullptr;
    double cpus = std::strtod(text.c_str(), &end);
    if (*end || cpus < 0)
        return invalid("invalid argument \"" + text + "\" for \"--cpus\" flag: failed to parse " +
                       text + " as a rational number");
    return static_cast<int64_t>(std::llround(cpus * 1e9));
}

Environment Environment::process() {
    return {
        .read_file = [](const std::string& path) -> Result<std::string> {
            std::ifstream in(path, std::ios::binary);
            if (!in) return fail_errno("open " + path);
            std::ostringstream text;
            text << in.rdbuf();
            return text.str();
        },
        .get = [](const std::string& name) -> std::optional<std::string> {
            const char* value = std::getenv(name.c_str());
            if (!value) return std::nullopt;
            return std::string(value);
        },
    };
}

namespace {

struct AttachStreams {
    bool in = false, out = false, err = false;
};

// -a/--attach, or docker's default: stdout and stderr unless detached, stdin with -i.
Result<AttachStreams> attach_streams(const ContainerOptions& o) {
    if (o.detach && !o.attach.empty())
        return invalid("conflicting options: cannot specify both --attach and --detach");
    if (o.attach.empty()) return AttachStreams{o.interactive && !o.detach, !o.detach, !o.detach};
    AttachStreams streams;
    for (auto& stream : o.attach) {
        std::string lower = stream;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        if (lower == "stdin")
            streams.in = true;
        else if (lower == "stdout")
            streams.out = true;
        else if (lower == "stderr")
            streams.err = true;
        else
            return invalid(
                "invalid argument \"" + stream +
                "\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR");
    }
    return streams;
}

Result<Json> env_json(const ContainerOptions& o, const Environment& env) {
    Json env_list = Json::array();
    for (auto& file : o.env_files)
        for (auto& entry : TRY(read_env_file(file, env)))
            env_list.push_back(entry);
    for (auto& entry : o.env)
        env_list.push_back(TRY(env_entry(entry, env)));
    return env_list;
}

// --health-* and --no-healthcheck; nullopt when none is given (the image's own applies).
Result<std::optional<Json>> healthcheck_json(const ContainerOptions& o) {
    bool any = !o.health_cmd.empty() || !o.health_interval.empty() || !o.health_timeout.empty() ||
               !o.health_start_period.empty() || o.health_retries != 0;
    if (o.no_healthcheck) {
        if (any) return invalid("--no-healthcheck conflicts with --health-* options");
        return Json{{"Test", {"NONE"}}};
    }
    if (!any) return std::optional<Json>();
    Json health = Json::object();
    if (!o.health_cmd.empty()) health["Test"] = {"CMD-SHELL", o.health_cmd};
    health["Interval"] = TRY(duration_flag(o.health_interval, "--health-interval"));
    health["Timeout"] = TRY(duration_flag(o.health_timeout, "--health-timeout"));
    health["StartPeriod"] = TRY(duration_flag(o.health_start_period, "--health-start-period"));
    if (o.health_retries < 0) return invalid("--health-retries cannot be negative");
    health["Retries"] = o.health_retries;
    for (auto key : {"Interval", "Timeout", "StartPeriod"})
        if (health[key].get<int64_t>() < 0)
            return invalid(std::string("--health-") + key + " cannot be negative");
    return health;
}

// -v: a bare path is an anonymous volume (Config.Volumes), anything else a bind (HostConfig.Binds).
Result<std::pair<Json, Json>> volumes_and_binds(const ContainerOptions& o) {
    Json volumes = Json::object(), binds = Json::array();
    for (auto& spec : o.volumes) {
        auto parts = split(spec, ':');
        if (spec.empty() || parts.size() > 3 || parts[0].empty())
            return invalid("invalid spec: " + spec);
        if (parts.size() == 1)
            volumes[spec] = Json::object();
        else
            binds.push_back(spec);
    }
    return std::pair{std::move(volumes), std::move(binds)};
}

// "key=value" (or a bare key, for "") list flags as a JSON object.
Json key_values(const std::vector<std::string>& entries, char separator) {
    Json out = Json::object();
    for (auto& entry : entries) {
        auto at = entry.find(separator);
        out[entry.substr(0, at)] = at == std::string::npos ? "" : entry.substr(at + 1);
    }
    return out;
}

Result<Json> log_config_json(const ContainerOptions& o) {
    Json log_config = {{"Type", o.log_driver}, {"Config", Json::object()}};
    for (auto& opt : o.log_opts) {
        auto eq = opt.find('=');
        if (eq == std::string::npos) return invalid("invalid key/value pair format in log-opt");
        log_config["Config"][opt.substr(0, eq)] = opt.substr(eq + 1);
    }
    return log_config;
}

Result<Json> sysctls_json(const ContainerOptions& o) {
    Json sysctls = Json::object();
    for (auto& spec : o.sysctls) {
        auto eq = spec.find('=');
        if (eq == std::string::npos)
            return invalid("invalid argument \"" + spec + "\" for \"--sysctl\" flag: sysctl '" +
                           spec + "' is not allowed");
        sysctls[spec.substr(0, eq)] = spec.substr(eq + 1);
    }
    return sysctls;
}

// Each of `specs` parsed by `parse`, as a JSON array (--device, --ulimit, --mount).
Result<Json> parsed_list(const std::vector<std::string>& specs,
                         Result<Json> (*parse)(const std::string&)) {
    Json out = Json::array();
    for (auto& spec : specs)
        out.push_back(TRY(parse(spec)));
    return out;
}

// The container's Config part of the create request; the -v binds, for HostConfig, into `binds`.
Result<Json> container_json(const ContainerOptions& o, const Environment& env, Json& binds) {
    auto streams = TRY(attach_streams(o));
    Json config = Json::object();
    config["Hostname"] = o.hostname;
    config["User"] = o.user;
    config["AttachStdin"] = streams.in;
    config["AttachStdout"] = streams.out;
    config["AttachStderr"] = streams.err;
    config["Tty"] = o.tty;
    config["OpenStdin"] = o.interactive;
    config["StdinOnce"] = o.interactive && streams.in;
    config["Env"] = TRY(env_json(o, env));
    config["Cmd"] = o.command.empty() ? Json() : Json(o.command);
    if (auto health = TRY(healthcheck_json(o))) config["Healthcheck"] = *health;
    config["Image"] = o.image;
    auto [volumes, bind_list] = TRY(volumes_and_binds(o));
    config["Volumes"] = std::move(volumes);
    binds = std::move(bind_list);
    config["WorkingDir"] = o.workdir;
    if (o.entrypoint) config["Entrypoint"] = Json::array({*o.entrypoint});
    config["Labels"] = key_values(o.labels, '=');
    if (!o.stop_signal.empty()) config["StopSignal"] = o.stop_signal;
    if (o.stop_timeout) config["StopTimeout"] = *o.stop_timeout;
    return config;
}

// HostConfig's resource limits: memory, CPU, devices, pids, ulimits.
Result<void> add_resources(Json& host, const ContainerOptions& o) {
    host["ShmSize"] = TRY(size_flag(o.shm_size, "--shm-size"));
    host["Sysctls"] = TRY(sysctls_json(o));
    host["CpuShares"] = o.cpu_shares;
    host["Memory"] = TRY(size_flag(o.memory, "-m, --memory"));
    host["NanoCpus"] = TRY(cpus_flag(o.cpus));
    host["CpuPeriod"] = o.cpu_period;
    host["CpuQuota"] = o.cpu_quota;
    host["CpusetCpus"] = o.cpuset_cpus;
    host["Devices"] = TRY(parsed_list(o.devices, parse_device));
    host["MemoryReservation"] = TRY(size_flag(o.memory_reservation, "--memory-reservation"));
    host["MemorySwap"] = TRY(size_flag(o.memory_swap, "--memory-swap"));
    host["MemorySwappiness"] = -1;
    if (o.pids_limit != 0) host["PidsLimit"] = o.pids_limit;
    host["Ulimits"] = TRY(parsed_list(o.ulimits, parse_ulimit));
    return {};
}

Result<Json> host_config_json(const ContainerOptions& o, Json binds) {
    Json host = Json::object();
    host["Binds"] = std::move(binds);
    host["LogConfig"] = TRY(log_config_json(o));
    host["NetworkMode"] = o.network.empty() ? "default" : o.network;
    host["RestartPolicy"] = TRY(parse_restart(o.restart));
    if (o.rm && host["RestartPolicy"]["Name"] != "no")
        return invalid("conflicting options: cannot specify both --restart and --rm");
    host["AutoRemove"] = o.rm;
    Json cap_add = Json::array(), cap_drop = Json::array();
    for (auto& cap : o.cap_add)
        cap_add.push_back(capability(cap));
    for (auto& cap : o.cap_drop)
        cap_drop.push_back(capability(cap));
    host["CapAdd"] = cap_add;
    host["CapDrop"] = cap_drop;
    host["GroupAdd"] = o.group_add;
    host["OomScoreAdj"] = o.oom_score_adj;
    host["Privileged"] = o.privileged;
    host["ReadonlyRootfs"] = o.read_only;
    host["SecurityOpt"] = o.security_opts;
    host["Tmpfs"] = key_values(o.tmpfs, ':');
    TRY(add_resources(host, o));
    host["Mounts"] = TRY(parsed_list(o.mounts, parse_mount));
    if (o.init) host["Init"] = true;
    return host;
}

}  // namespace

Result<CreateRequest> build_create_request(const ContainerOptions& o, const Environment& env) {
    Json binds;
    Json config = TRY(container_json(o, env, binds));
    config["HostConfig"] = TRY(host_config_json(o, std::move(binds)));
    config["NetworkingConfig"] = {{"EndpointsConfig", Json::object()}};
    return CreateRequest{std::move(config), o.name};
}

void add_container_flags(CLI::App* c, ContainerOptions& o, bool is_run) {
    c->set_help_flag("--help", "Print usage");  // -h is --hostname, as in docker
    c->add_option("image", o.image, "Image")->required();
    c->add_option("command", o.command, "Command and arguments");
    if (is_run) {
        c->add_flag("-d,--detach", o.detach, "Run container in background and print container ID");
        c->add_option("--detach-keys", o.detach_keys,
                      "Override the key sequence for detaching a container");
        c->add_option("--sig-proxy", o.sig_proxy, "Proxy received signals to the process");
    }
    c->add_option("-a,--attach", o.attach, "Attach to STDIN, STDOUT or STDERR")
        ->allow_extra_args(false);
    c->add_flag("-i,--interactive", o.interactive, "Keep STDIN open even if not attached");
    c->add_flag("-t,--tty", o.tty, "Allocate a pseudo-TTY");
    c->add_flag("--rm", o.rm, "Automatically remove the container when it exits");
    c->add_option("--name", o.name, "Assign a name to the container");
    c->add_option("--platform", o.platform, "Set platform if server is multi-platform capable");
    c->add_option("-e,--env", o.env, "Set environment variables")->allow_extra_args(false);
    c->add_option("--env-file", o.env_files, "Read in a file of environment variables")
        ->allow_extra_args(false);
    c->add_option("-l,--label", o.labels, "Set meta data on a container")->allow_extra_args(false);
    c->add_option("-v,--volume", o.volumes, "Bind mount a volume")->allow_extra_args(false);
    c->add_option("--mount", o.mounts, "Attach a filesystem mount to the container")
        ->allow_extra_args(false);
    c->add_option("--tmpfs", o.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
    c->add_option("-w,--workdir", o.workdir, "Working directory inside the container");
    c->add_option("-u,--user", o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    c->add_option("--entrypoint", o.entrypoint, "Overwrite the default ENTRYPOINT of the image");
    c->add_option("-h,--hostname", o.hostname, "Container host name");
    c->add_option("--restart", o.restart, "Restart policy to apply when a container exits");
    c->add_option("-m,--memory", o.memory, "Memory limit");
    c->add_option("--memory-swap", o.memory_swap,
                  "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
    c->add_option("--memory-reservation", o.memory_reservation, "Memory soft limit");
    c->add_option("--shm-size", o.shm_size, "Size of /dev/shm");
    c->add_option("--cpus", o.cpus, "Number of CPUs");
    c->add_option("-c,--cpu-shares", o.cpu_shares, "CPU shares (relative weight)");
    c->add_option("--cpu-quota", o.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
    c->add_option("--cpu-period", o.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
    c->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    c->add_option("--pids-limit", o.pids_limit, "Tune container pids limit (set -1 for unlimited)");
    c->add_option("--oom-score-adj", o.oom_score_adj,
                  "Tune host's OOM preferences (-1000 to 1000)");
    c->add_option("--ulimit", o.ulimits, "Ulimit options")->allow_extra_args(false);
    c->add_option("--cap-add", o.cap_add, "Add Linux capabilities")->allow_extra_args(false);
    c->add_option("--cap-drop", o.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
    c->add_option("--security-opt", o.security_opts, "Security Options")->allow_extra_args(false);
    c->add_option("--device", o.devices, "Add a host device to the container")
        ->allow_extra_args(false);
    c->add_option("--sysctl", o.sysctls, "Sysctl options")->allow_extra_args(false);
    c->add_option("--group-add", o.group_add, "Add additional groups to join")
        ->allow_extra_args(false);
    c->add_flag("--privileged", o.privileged, "Give extended privileges to this container");
    c->add_flag("--read-only", o.read_only, "Mount the container's root filesystem as read only");
    c->add_flag("--init", o.init,
                "Run an init inside the container that forwards signals and reaps processes");
    c->add_option("--stop-signal", o.stop_signal, "Signal to stop the container");
    c->add_option("--stop-timeout", o.stop_timeout, "Timeout (in seconds) to stop a container");
    c->add_option("--log-driver", o.log_driver, "Logging driver for the container");
    c->add_option("--log-opt", o.log_opts, "Log driver options")->allow_extra_args(false);
    c->add_option("--network,--net", o.network, "Connect a container to a network (none, host)");
    c->add_option("--health-cmd", o.health_cmd, "Command to run to check health");
    c->add_option("--health-interval", o.health_interval,
                  "Time between running the check (ms|s|m|h)");
    c->add_option("--health-timeout", o.health_timeout,
                  "Maximum time to allow one check to run (ms|s|m|h)");
    c->add_option("--health-start-period", o.health_start_period,
                  "Start period for the container to initialize before starting health-retries "
                  "countdown (ms|s|m|h)");
    c->add_option("--health-retries", o.health_retries,
                  "Consecutive failures needed to report unhealthy");
    c->add_flag("--no-healthcheck", o.no_healthcheck,
                "Disable any container-specified HEALTHCHECK");
    // Everything after the image belongs to the command, flags included (`run busybox ls -l`).
    c->positionals_at_end(true);
}

}  // namespace berth::cli
