#include "commands.h"

#include <cstdio>
#include <string>

#include "base/fs.h"
#include "base/parse_int.h"
#include "oci/runtime_spec.h"
#include "output.h"
#include "resource_flags.h"
#include "runtime/signals.h"

namespace berth::runtime_cmd {
namespace {

using cli::FlagSpec;
using cli::ParsedArgs;

Result<void> write_default_spec(const std::string& bundle) {
    std::string path = join_path(bundle, "config.json");
    if (path_exists(path))
        return fail(ErrorKind::AlreadyExists, "File " + path + " exists. Remove it first");
    return write_file(path, oci::default_spec_json().dump(4) + "\n", 0644);
}

// A count flag (--preserve-fds, --interval): a number, 0 or more.
Result<int> parse_count(const std::string& text, std::string_view what) {
    int value = TRY(parse_int<int>(text, what));
    if (value < 0)
        return fail(ErrorKind::InvalidArgument,
                    std::string(what) + ": \"" + text + "\" is not a number");
    return value;
}

const std::vector<FlagSpec> kCreateFlags = {
    {"b,bundle", true, "path to the bundle directory (default: current directory)"},
    {"console-socket", true, "unix socket that receives the pty master"},
    {"pid-file", true, "file to write the init process id to"},
    {"preserve-fds", true, "number of extra fds (after stdio) to pass on"},
    {"no-pivot", false, "do not use pivot_root (for a rootfs on a ramdisk)"},
    {"no-new-keyring", false, "keep the caller's session keyring"},
};

Result<runtime::CreateOptions> create_options(const ParsedArgs& a) {
    runtime::CreateOptions o;
    o.id = a.positionals.at(0);
    o.bundle = a.get("bundle", ".");
    o.console_socket = a.get("console-socket");
    o.pid_file = a.get("pid-file");
    if (a.has("preserve-fds"))
        o.preserve_fds = TRY(parse_count(a.get("preserve-fds"), "--preserve-fds"));
    o.no_pivot = a.has("no-pivot");
    o.no_new_keyring = a.has("no-new-keyring");
    o.detach = a.has("detach");
    return o;
}

Result<int> ok(Result<void> r) {
    if (!r) return std::unexpected(std::move(r).error());
    return 0;
}

std::vector<FlagSpec> run_flags() {
    std::vector<FlagSpec> flags = kCreateFlags;
    flags.push_back({"d,detach", false, "detach from the container's process"});
    flags.push_back({"keep", false, "keep the container's state after it exits"});
    return flags;
}

Command create_command() {
    return {"create",
            "ID",
            "create a container",
            kCreateFlags,
            1,
            1,
            [](const ParsedArgs& a, Context& c) -> Result<int> {
                return ok(c.runtime.create(TRY(create_options(a))));
            }};
}

Command run_command() {
    return {"run",
            "ID",
            "create and start a container, and wait for it unless -d",
            run_flags(),
            1,
            1,
            [](const ParsedArgs& a, Context& c) -> Result<int> {
                return c.runtime.run(TRY(create_options(a)));
            }};
}

Command start_command() {
    return {"start",
            "ID",
            "start the process of a created container",
            {},
            1,
            1,
            [](const ParsedArgs& a, Context& c) { return ok(c.runtime.start(a.positionals[0])); }};
}

Command state_command() {
    return {"state",
            "ID",
            "print a container's state as JSON",
            {},
            1,
            1,
            [](const ParsedArgs& a, Context& c) -> Result<int> {
                auto state = TRY(c.runtime.state(a.positionals[0]));
                std::printf("%s\n", state.dump(2).c_str());
                return 0;
            }};
}

Command kill_command() {
    return {"kill",
            "ID [SIGNAL]",
            "send a signal (default SIGTERM) to a container's init",
            {{"a,all", false, "signal every process of the container"}},
            1,
            2,
            [](const ParsedArgs& a, Context& c) -> Result<int> {
                int sig = TRY(runtime::parse_signal(
                    a.positionals.size() > 1 ? a.positionals[1] : std::string("SIGTERM")));
                return ok(c.runtime.kill(a.positionals[0], sig, a.has("all")));
            }};
}

Command delete_command() {
    return {"delete",
            "ID",
            "delete a container",
            {{"f,force", false, "kill the container first if it runs"}},
            1,
            1,
            [](const ParsedArgs& a, Context& c) {
                return ok(c.runtime.remove(a.positionals[0], a.has("force")));
            }};
}

Command list_command() {
    return {"list",
            "",
            "list containers",
            {{"f,format", true, "table or json"}, {"q,quiet", false, "print only ids"}},
            0,
            0,
            [](const ParsedArgs& a, Context& c) {
                return ok(print_list(c.runtime, a.get("format", "table"), a.has("quiet")));
            }};
}

Command ps_command() {
    return {"ps",
            "ID [PS-ARGS...]",
            "list the processes of a container",
            {{"f,format", true, "table or json"}},
            1,
            1000,
            [](const ParsedArgs& a, Context& c) {
                std::vector<std::string> ps_args(a.positionals.begin() + 1, a.positionals.end());
                return ok(print_ps(c.runtime, a.positionals[0], a.get("format", "table"), ps_args));
            }};
}

Result<int> run_exec(const ParsedArgs& a, Context& c) {
    runtime::ExecOptions o;
    o.id = a.positionals[0];
    o.args.assign(a.positionals.begin() + 1, a.positionals.end());
    o.process_file = a.get("process");
    o.console_socket = a.get("console-socket");
    o.cwd = a.get("cwd");
    o.env = a.all("env");
    o.tty = a.has("tty");
    o.user = a.get("user");
    o.additional_gids = a.all("additional-gids");
    o.cap_add = a.all("cap");
    o.no_new_privileges = a.has("no-new-privs");
    o.detach = a.has("detach");
    o.pid_file = a.get("pid-file");
    if (a.has("preserve-fds"))
        o.preserve_fds = TRY(parse_count(a.get("preserve-fds"), "--preserve-fds"));
    if (a.has("process-label")) c.log.warn("--process-label is ignored: no SELinux support");
    if (a.has("apparmor")) c.log.warn("--apparmor is ignored: no AppArmor support");
    if (o.process_file.empty() && o.args.empty())
        return fail(ErrorKind::InvalidArgument, "exec: a command or --process is required");
    return c.runtime.exec(o);
}

Command exec_command() {
    return {"exec",
            "ID COMMAND [ARGS...]",
            "run a new process in a running container",
            {{"p,process", true, "process.json to run"},
             {"console-socket", true, "unix socket that receives the pty master"},
             {"cwd", true, "working directory"},
             {"e,env", true, "environment variable KEY=value (repeatable)"},
             {"t,tty", false, "allocate a terminal"},
             {"u,user", true, "uid[:gid]"},
             {"g,additional-gids", true, "additional gid (repeatable)"},
             {"c,cap", true, "add a capability (repeatable)"},
             {"no-new-privs", false, "set no_new_privs"},
             {"d,detach", false, "detach from the process"},
             {"pid-file", true, "file to write the process id to"},
             {"preserve-fds", true, "number of extra fds to pass on"},
             {"process-label", true, "SELinux label (not supported)"},
             {"apparmor", true, "AppArmor profile (not supported)"},
             {"cgroup", true, "sub-cgroup to join (not supported yet)"},
             {"ignore-paused", false, "allow exec in a paused container"}},
            1,
            100000,
            run_exec,
            true};
}

Command pause_command() {
    return {"pause",
            "ID",
            "freeze every process of a container",
            {},
            1,
            1,
            [](const ParsedArgs& a, Context& c) { return ok(c.runtime.pause(a.positionals[0])); }};
}

Command resume_command() {
    return {
        "resume", "ID", "thaw a paused container", {}, 1, 1, [](const ParsedArgs& a, Context& c) {
            return ok(c.runtime.resume(a.positionals[0]));
        }};
}

Command update_command() {
    return {"update",
            "ID",
            "change the resource limits of a running container",
            {{"r,resources", true, "linux.resources JSON file, - for stdin"},
             {"memory", true, "memory limit (bytes, or with k/m/g)"},
             {"memory-reservation", true, "memory soft limit"},
             {"memory-swap", true, "memory + swap limit"},
             {"cpu-period", true, "CPU CFS period (microseconds)"},
             {"cpu-quota", true, "CPU CFS quota (microseconds)"},
             {"cpu-share", true, "CPU shares (relative weight)"},
             {"cpu-rt-period", true, "CPU real-time period"},
             {"cpu-rt-runtime", true, "CPU real-time runtime"},
             {"cpuset-cpus", true, "CPUs to run on (0-3, 0,1)"},
             {"cpuset-mems", true, "memory nodes to use"},
             {"pids-limit", true, "maximum number of processes"},
             {"blkio-weight", true, "block I/O weight (10-1000)"},
             {"l3-cache-schema", true, "Intel RDT (not supported)"},
             {"mem-bw-schema", true, "Intel RDT (not supported)"}},
            1,
            1,
            [](const ParsedArgs& a, Context& c) -> Result<int> {
                if (a.has("l3-cache-schema") || a.has("mem-bw-schema"))
                    return fail(ErrorKind::Unsupported, "update: Intel RDT is not supported");
                return ok(c.runtime.update(a.positionals[0], TRY(update_resources(a))));
            }};
}

Command events_command() {
    return {
        "events",
        "ID",
        "print a container's resource usage and OOM events as JSON",
        {{"stats", false, "print one stats object and exit"},
         {"interval", true, "seconds between stats (default 5)"}},
        1,
        1,
        [](const ParsedArgs& a, Context& c) -> Result<int> {
            std::string interval = a.get("interval", "5s");
            if (!interval.empty() && interval.back() == 's') interval.pop_back();
            int seconds = TRY(parse_count(interval, "--interval"));
            if (seconds <= 0)
                return fail(ErrorKind::InvalidArgument, "--interval must be positive");
            return ok(print_events(c.runtime, a.positionals[0], a.has("stats"), seconds * 1000));
        }};
}

Command spec_command() {
    return {
        "spec",
        "",
        "write a default config.json",
        {{"b,bundle", true, "bundle directory"}, {"rootless", false, "a config for rootless use"}},
        0,
        0,
        [](const ParsedArgs& a, Context& c) {
            if (a.has("rootless"))
                c.log.warn("--rootless: the default spec is written; adjust the id mappings");
            return ok(write_default_spec(a.get("bundle", ".")));
        }};
}

Command features_command() {
    return {"features",
            "",
            "print the features of this runtime as JSON",
            {},
            0,
            0,
            [](const ParsedArgs&, Context&) -> Result<int> {
                std::printf("%s\n", runtime::features_json().dump(4).c_str());
                return 0;
            }};
}

}  // namespace

std::vector<Command> commands() {
    return {create_command(), run_command(),    start_command(),   state_command(),
            kill_command(),   delete_command(), list_command(),    ps_command(),
            exec_command(),   pause_command(),  resume_command(),  update_command(),
            events_command(), spec_command(),   features_command()};
}

}  // namespace berth::runtime_cmd
