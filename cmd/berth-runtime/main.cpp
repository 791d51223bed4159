// berth-runtime: an OCI runtime with runc's command line, so containerd, dockerd and Kubernetes
// can use it in place of runc.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>

#include "base/byte_size.h"
#include "base/child_process.h"
#include "base/fs.h"
#include "base/logger.h"
#include "base/parse_int.h"
#include "command_line.h"
#include "oci/runtime_spec.h"
#include "runtime/runtime.h"
#include "runtime/self_protect.h"
#include "runtime/signals.h"

namespace {

using berth::Error;
using berth::ErrorKind;
using berth::Json;
using berth::Result;
using berth::cli::FlagSpec;
using berth::cli::ParsedArgs;

constexpr const char* kDefaultRoot = "/run/berth-runtime";

std::string left_pad_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 3, ' ');
        }
        out += '\n';
    }
    return out;
}

Result<void> print_list(berth::runtime::Runtime& runtime, const std::string& format, bool quiet) {
    auto states = TRY(runtime.list());
    if (quiet) {
        for (const auto& s : states)
            std::printf("%s\n", s["id"].get<std::string>().c_str());
        return {};
    }
    if (format == "json") {
        std::printf("%s\n", Json(states).dump().c_str());
        return {};
    }
    if (format != "table")
        return berth::fail(ErrorKind::InvalidArgument,
                           "invalid format \"" + format + "\" (table or json)");
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& s : states)
        rows.push_back({s["id"], std::to_string(s["pid"].get<int>()), s["status"], s["bundle"],
                        s["created"], "root"});
    std::fputs(left_pad_table(rows).c_str(), stdout);
    return {};
}

// `ps`: JSON is the list of pids; the table is ps(1)'s output reduced to the container's lines.
Result<void> print_ps(berth::runtime::Runtime& runtime, const std::string& id,
                      const std::string& format, std::vector<std::string> ps_args) {
    auto pids = TRY(runtime.pids(id));
    if (format == "json") {
        std::printf("%s\n", Json(pids).dump().c_str());
        return {};
    }
    if (format != "table")
        return berth::fail(ErrorKind::InvalidArgument,
                           "invalid format \"" + format + "\" (table or json)");
    if (ps_args.empty()) ps_args = {"-ef"};
    ps_args.insert(ps_args.begin(), "ps");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return berth::fail_errno("pipe");
    berth::UniqueFd read_end(fds[0]), write_end(fds[1]);
    berth::SpawnOptions options;
    options.stdout_fd = write_end.get();
    auto child = TRY(berth::spawn(ps_args, options));
    write_end.reset();
    std::string output;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0)
        output.append(buf, static_cast<size_t>(n));
    auto status = TRY(child.wait());
    if (berth::exit_code_of(status) != 0) return berth::fail(ErrorKind::Internal, "ps failed");
    // Keep the header and the lines whose PID column is one of ours.
    std::istringstream lines(output);
    std::string line, header;
    std::getline(lines, header);
    std::istringstream header_words(header);
    std::string word;
    int pid_column = -1;
    for (int i = 0; header_words >> word; ++i)
        if (word == "PID") pid_column = i;
    if (pid_column < 0)
        return berth::fail(ErrorKind::InvalidArgument, "ps output has no PID column");
    std::printf("%s\n", header.c_str());
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        for (int i = 0; words >> word; ++i) {
            if (i != pid_column) continue;
            pid_t pid = std::atoi(word.c_str());
            if (std::find(pids.begin(), pids.end(), pid) != pids.end())
                std::printf("%s\n", line.c_str());
            break;
        }
    }
    return {};
}

Result<void> write_default_spec(const std::string& bundle) {
    std::string path = berth::join_path(bundle, "config.json");
    if (berth::path_exists(path))
        return berth::fail(ErrorKind::AlreadyExists, "File " + path + " exists. Remove it first");
    return berth::write_file(path, berth::oci::default_spec_json().dump(4) + "\n", 0644);
}

// runc's --memory flags: go-units RAMInBytes ("512m", "1g", "1.5GiB"), and "-1" for unlimited.
Result<int64_t> parse_bytes(const std::string& text, std::string_view what) {
    if (text == "-1") return int64_t{-1};
    auto bytes = berth::parse_ram_in_bytes(text);
    if (!bytes) return berth::fail(std::move(bytes).error().context(what));
    return *bytes;
}

// `update`: linux.resources from --resources (a file, or - for stdin) and runc's flags on top.
Result<Json> update_resources(const ParsedArgs& a) {
    Json r = Json::object();
    if (a.has("resources")) {
        std::string file = a.get("resources");
        std::string text;
        if (file == "-") {
            char buf[8192];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
                text.append(buf, n);
        } else {
            text = TRY(berth::read_file(file));
        }
        r = TRY(berth::parse_json(text, file == "-" ? "resources (stdin)" : file));
        if (!r.is_object())
            return berth::fail(ErrorKind::InvalidArgument, "--resources: must be a JSON object");
    }
    auto set = [&](const char* flag, const char* group, const char* key,
                   bool bytes) -> Result<void> {
        if (!a.has(flag)) return {};
        r[group][key] = bytes
                            ? TRY(parse_bytes(a.get(flag), std::string("--") + flag))
                            : TRY(berth::parse_int<int64_t>(a.get(flag), std::string("--") + flag));
        return {};
    };
    TRY(set("memory", "memory", "limit", true));
    TRY(set("memory-reservation", "memory", "reservation", true));
    TRY(set("memory-swap", "memory", "swap", true));
    TRY(set("cpu-period", "cpu", "period", false));
    TRY(set("cpu-quota", "cpu", "quota", false));
    TRY(set("cpu-share", "cpu", "shares", false));
    TRY(set("cpu-rt-period", "cpu", "realtimePeriod", false));
    TRY(set("cpu-rt-runtime", "cpu", "realtimeRuntime", false));
    TRY(set("pids-limit", "pids", "limit", false));
    TRY(set("blkio-weight", "blockIO", "weight", false));
    if (a.has("cpuset-cpus")) r["cpu"]["cpus"] = a.get("cpuset-cpus");
    if (a.has("cpuset-mems")) r["cpu"]["mems"] = a.get("cpuset-mems");
    return r;
}

// `events`: with --stats one stats object; otherwise stats every --interval and an "oom" event
// whenever the OOM killer strikes, until the container stops.
Result<void> print_events(berth::runtime::Runtime& runtime, const std::string& id, bool once,
                          int interval_ms) {
    if (once) {
        std::printf("%s\n", TRY(runtime.stats(id)).dump().c_str());
        return {};
    }
    uint64_t ooms = TRY(runtime.oom_kills(id));
    int64_t waited = interval_ms;
    constexpr int kPollMs = 100;  // how soon an OOM kill is reported
    for (;;) {
        // OOM kills first: the kill that ends the container must still be reported.
        if (auto now = runtime.oom_kills(id); now && *now > ooms) {
            ooms = *now;
            std::printf("%s\n", Json{{"type", "oom"}, {"id", id}}.dump().c_str());
            std::fflush(stdout);
        }
        auto state = runtime.state(id);
        if (!state || (*state)["status"] == "stopped") return {};
        if (waited >= interval_ms) {
            waited = 0;
            if (auto stats = runtime.stats(id)) {
                std::printf("%s\n", stats->dump().c_str());
                std::fflush(stdout);
            }
        }
        ::usleep(kPollMs * 1000);  // a poll interval, not a synchronisation
        waited += kPollMs;
    }
}

bool is_one_of(std::string_view arg, std::initializer_list<std::string_view> names) {
    for (auto name : names)
        if (arg == name) return true;
    return false;
}

const std::vector<FlagSpec> kGlobalFlags = {
    {"root", true, "directory for container state (default /run/berth-runtime)"},
    {"log", true, "log file (default: stderr)"},
    {"log-format", true, "log format: text or json"},
    {"debug", false, "log debug messages"},
    {"systemd-cgroup", false, "manage cgroups through systemd"},
    {"rootless", true, "rootless mode: true, false or auto"},
    {"criu", true, "path to criu (checkpointing is not supported)"},
    {"h,help", false, "show help"},
    {"v,version", false, "print the version"},
};

// The index of the subcommand in args, past the global flags (args.size() if there is none).
size_t subcommand_index(const std::vector<std::string>& args) {
    size_t i = 1;
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg.size() < 2 || arg.front() != '-') break;
        if (arg.find('=') == std::string_view::npos &&
            is_one_of(arg, {"--root", "-root", "--log", "-log", "--log-format", "-log-format",
                            "--criu", "-criu", "--rootless", "-rootless"}))
            ++i;
    }
    return i;
}

// A count flag (--preserve-fds, --interval): a number, 0 or more.
Result<int> parse_count(const std::string& text, std::string_view what) {
    int value = TRY(berth::parse_int<int>(text, what));
    if (value < 0)
        return berth::fail(ErrorKind::InvalidArgument,
                           std::string(what) + ": \"" + text + "\" is not a number");
    return value;
}

struct Context {
    berth::runtime::Runtime& runtime;
    const berth::Logger& log;
};

using Handler = std::function<Result<int>(const ParsedArgs&, Context&)>;

struct Command {
    std::string_view name;
    std::string_view usage;  // positional arguments
    std::string_view help;
    std::vector<FlagSpec> flags;
    size_t min_positionals, max_positionals;
    Handler run;
    bool stop_at_positional = false;
};

const std::vector<FlagSpec> kCreateFlags = {
    {"b,bundle", true, "path to the bundle directory (default: current directory)"},
    {"console-socket", true, "unix socket that receives the pty master"},
    {"pid-file", true, "file to write the init process id to"},
    {"preserve-fds", true, "number of extra fds (after stdio) to pass on"},
    {"no-pivot", false, "do not use pivot_root (for a rootfs on a ramdisk)"},
    {"no-new-keyring", false, "keep the caller's session keyring"},
};

Result<berth::runtime::CreateOptions> create_options(const ParsedArgs& a) {
    berth::runtime::CreateOptions o;
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

std::vector<Command> commands() {
    std::vector<FlagSpec> run_flags = kCreateFlags;
    run_flags.push_back({"d,detach", false, "detach from the container's process"});
    run_flags.push_back({"keep", false, "keep the container's state after it exits"});
    return {
        {"create", "ID", "create a container", kCreateFlags, 1, 1,
         [](const ParsedArgs& a, Context& c) -> Result<int> {
             return ok(c.runtime.create(TRY(create_options(a))));
         }},
        {"run", "ID", "create and start a container, and wait for it unless -d", run_flags, 1, 1,
         [](const ParsedArgs& a, Context& c) -> Result<int> {
             return c.runtime.run(TRY(create_options(a)));
         }},
        {"start",
         "ID",
         "start the process of a created container",
         {},
         1,
         1,
         [](const ParsedArgs& a, Context& c) { return ok(c.runtime.start(a.positionals[0])); }},
        {"state",
         "ID",
         "print a container's state as JSON",
         {},
         1,
         1,
         [](const ParsedArgs& a, Context& c) -> Result<int> {
             auto state = TRY(c.runtime.state(a.positionals[0]));
             std::printf("%s\n", state.dump(2).c_str());
             return 0;
         }},
        {"kill",
         "ID [SIGNAL]",
         "send a signal (default SIGTERM) to a container's init",
         {{"a,all", false, "signal every process of the container"}},
         1,
         2,
         [](const ParsedArgs& a, Context& c) -> Result<int> {
             int sig = TRY(berth::runtime::parse_signal(
                 a.positionals.size() > 1 ? a.positionals[1] : std::string("SIGTERM")));
             return ok(c.runtime.kill(a.positionals[0], sig, a.has("all")));
         }},
        {"delete",
         "ID",
         "delete a container",
         {{"f,force", false, "kill the container first if it runs"}},
         1,
         1,
         [](const ParsedArgs& a, Context& c) {
             return ok(c.runtime.remove(a.positionals[0], a.has("force")));
         }},
        {"list",
         "",
         "list containers",
         {{"f,format", true, "table or json"}, {"q,quiet", false, "print only ids"}},
         0,
         0,
         [](const ParsedArgs& a, Context& c) {
             return ok(print_list(c.runtime, a.get("format", "table"), a.has("quiet")));
         }},
        {"ps",
         "ID [PS-ARGS...]",
         "list the processes of a container",
         {{"f,format", true, "table or json"}},
         1,
         1000,
         [](const ParsedArgs& a, Context& c) {
             std::vector<std::string> ps_args(a.positionals.begin() + 1, a.positionals.end());
             return ok(print_ps(c.runtime, a.positionals[0], a.get("format", "table"), ps_args));
         }},
        {"exec",
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
         [](const ParsedArgs& a, Context& c) -> Result<int> {
             berth::runtime::ExecOptions o;
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
             if (a.has("process-label"))
                 c.log.warn("--process-label is ignored: no SELinux support");
             if (a.has("apparmor")) c.log.warn("--apparmor is ignored: no AppArmor support");
             if (o.process_file.empty() && o.args.empty())
                 return berth::fail(ErrorKind::InvalidArgument,
                                    "exec: a command or --process is required");
             return c.runtime.exec(o);
         },
         true},
        {"pause",
         "ID",
         "freeze every process of a container",
         {},
         1,
         1,
         [](const ParsedArgs& a, Context& c) { return ok(c.runtime.pause(a.positionals[0])); }},
        {"resume",
         "ID",
         "thaw a paused container",
         {},
         1,
         1,
         [](const ParsedArgs& a, Context& c) { return ok(c.runtime.resume(a.positionals[0])); }},
        {"update",
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
                 return berth::fail(ErrorKind::Unsupported, "update: Intel RDT is not supported");
             return ok(c.runtime.update(a.positionals[0], TRY(update_resources(a))));
         }},
        {"events",
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
                 return berth::fail(ErrorKind::InvalidArgument, "--interval must be positive");
             return ok(print_events(c.runtime, a.positionals[0], a.has("stats"), seconds * 1000));
         }},
        {"spec",
         "",
         "write a default config.json",
         {{"b,bundle", true, "bundle directory"}, {"rootless", false, "a config for rootless use"}},
         0,
         0,
         [](const ParsedArgs& a, Context& c) {
             if (a.has("rootless"))
                 c.log.warn("--rootless: the default spec is written; adjust the id mappings");
             return ok(write_default_spec(a.get("bundle", ".")));
         }},
        {"features",
         "",
         "print the features of this runtime as JSON",
         {},
         0,
         0,
         [](const ParsedArgs&, Context&) -> Result<int> {
             std::printf("%s\n", berth::runtime::features_json().dump(4).c_str());
             return 0;
         }},
    };
}

void print_help(const std::vector<Command>& cmds) {
    std::string text =
        "berth-runtime: an OCI container runtime with runc's command line\n\n"
        "usage: berth-runtime [GLOBAL FLAGS] COMMAND [FLAGS] [ARGS]\n\ncommands:\n";
    for (const auto& c : cmds)
        text += "  " + std::string(c.name) + std::string(12 - c.name.size(), ' ') +
                std::string(c.help) + "\n";
    text += "\nglobal flags:\n" + berth::cli::describe_flags(kGlobalFlags);
    text += "\n`berth-runtime COMMAND --help` shows a command's flags.\n";
    std::fputs(text.c_str(), stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    size_t sub = subcommand_index(args);
    // Commands that put a process into a container run from a protected copy of this binary.
    // Checked before anything else, since it usually means exec'ing again.
    if (sub < args.size() && is_one_of(args[sub], {"create", "run", "exec"})) {
        if (auto r = berth::runtime::ensure_running_from_sealed_copy(argv); !r) {
            std::fprintf(stderr, "berth-runtime: %s\n", r.error().message().c_str());
            return 1;
        }
    }
    // A write to a closed pipe (a hook that ignores its stdin) is an error to handle, not a death.
    ::signal(SIGPIPE, SIG_IGN);

    auto usage_error = [](const std::string& message) {
        std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
        return 1;
    };
    auto global = berth::cli::parse_flags(args, 1, sub, kGlobalFlags, false, "berth-runtime");
    if (!global) return usage_error(global.error().message());
    const auto cmds = commands();
    if (global->has("version")) {
        std::printf("berth-runtime version %s\ncommit: %s\nspec: 1.2.0\n", BERTH_VERSION,
                    BERTH_GIT_COMMIT);
        return 0;
    }
    if (global->has("help") || sub >= args.size()) {
        print_help(cmds);
        return sub >= args.size() && !global->has("help") ? 1 : 0;
    }
    std::string name = args[sub] == "ls" ? "list" : args[sub];
    auto command =
        std::find_if(cmds.begin(), cmds.end(), [&](const Command& c) { return c.name == name; });
    if (command == cmds.end()) {
        for (const char* later : {"checkpoint", "restore"})
            if (name == later) return usage_error(name + ": not supported (no CRIU support)");
        return usage_error("unknown command \"" + name + "\" (see --help)");
    }
    std::vector<FlagSpec> flags = command->flags;
    flags.push_back({"h,help", false, "show help"});
    auto parsed = berth::cli::parse_flags(args, sub + 1, args.size(), flags,
                                          command->stop_at_positional, name);
    if (!parsed) return usage_error(parsed.error().message());
    if (parsed->has("help")) {
        std::printf("usage: berth-runtime %s [FLAGS] %s\n\n%s\n\nflags:\n%s", name.c_str(),
                    std::string(command->usage).c_str(), std::string(command->help).c_str(),
                    berth::cli::describe_flags(command->flags).c_str());
        return 0;
    }
    size_t n = parsed->positionals.size();
    if (n < command->min_positionals || n > command->max_positionals)
        return usage_error(name + ": expected " + std::string(command->usage) + " (see " + name +
                           " --help)");

    berth::Logger log;
    std::string log_format = global->get("log-format", "text");
    if (log_format != "text" && log_format != "json")
        return usage_error("--log-format: \"" + log_format + "\" is not text or json");
    auto format = log_format == "json" ? berth::LogFormat::Json : berth::LogFormat::Text;
    if (auto r = log.open(global->get("log"), format, global->has("debug")); !r)
        return usage_error(r.error().message());
    auto report = [&](const Error& error) {
        log.error(error.message());
        if (!log.to_stderr()) std::fprintf(stderr, "berth-runtime: %s\n", error.message().c_str());
        return 1;
    };
    if (global->has("systemd-cgroup")) {
        if (::access("/run/systemd/system", F_OK) != 0)
            return report(Error(ErrorKind::Unavailable,
                                "--systemd-cgroup: systemd is not running on this host; use the "
                                "cgroupfs driver"));
        log.warn("--systemd-cgroup: cgroups are managed through cgroupfs, not systemd");
    }

    berth::runtime::Runtime runtime(global->get("root", kDefaultRoot), log);
    Context context{runtime, log};
    Result<int> result = command->run(*parsed, context);
    if (!result) return report(result.error());
    std::fflush(stdout);
    return *result;
}
