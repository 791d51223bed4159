// berth-runtime: an OCI runtime with runc's command line, so containerd, dockerd and Kubernetes
// can use it in place of runc. The commands are in commands.cpp; this is the global flags, the
// logger and the dispatch.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "base/logger.h"
#include "command_line.h"
#include "commands.h"
#include "runtime/runtime.h"
#include "runtime/self_protect.h"

namespace {

using berth::Error;
using berth::ErrorKind;
using berth::Result;
using berth::cli::FlagSpec;
using berth::cli::ParsedArgs;
namespace runtime_cmd = berth::runtime_cmd;

constexpr const char* kDefaultRoot = "/run/berth-runtime";

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

void print_help(const std::vector<runtime_cmd::Command>& cmds) {
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

int usage_error(const std::string& message) {
    std::fprintf(stderr, "berth-runtime: %s\n", message.c_str());
    return 1;
}

// The log the global flags ask for: --log (a file, else stderr), --log-format, --debug.
Result<void> open_log(berth::Logger& log, const ParsedArgs& global) {
    std::string log_format = global.get("log-format", "text");
    if (log_format != "text" && log_format != "json")
        return berth::fail(ErrorKind::InvalidArgument,
                           "--log-format: \"" + log_format + "\" is not text or json");
    auto format = log_format == "json" ? berth::LogFormat::Json : berth::LogFormat::Text;
    return log.open(global.get("log"), format, global.has("debug"));
}

// Runs a command whose arguments parsed: its errors go to the log (and stderr besides).
int run_command(const runtime_cmd::Command& command, const ParsedArgs& global,
                const ParsedArgs& parsed) {
    berth::Logger log;
    if (auto r = open_log(log, global); !r) return usage_error(r.error().message());
    auto report = [&](const Error& error) {
        log.error(error.message());
        if (!log.to_stderr()) std::fprintf(stderr, "berth-runtime: %s\n", error.message().c_str());
        return 1;
    };
    if (global.has("systemd-cgroup")) {
        if (::access("/run/systemd/system", F_OK) != 0)
            return report(Error(ErrorKind::Unavailable,
                                "--systemd-cgroup: systemd is not running on this host; use the "
                                "cgroupfs driver"));
        log.warn("--systemd-cgroup: cgroups are managed through cgroupfs, not systemd");
    }
    berth::runtime::Runtime runtime(global.get("root", kDefaultRoot), log);
    runtime_cmd::Context context{runtime, log};
    Result<int> result = command.run(parsed, context);
    if (!result) return report(result.error());
    std::fflush(stdout);
    return *result;
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

    auto global = berth::cli::parse_flags(args, 1, sub, kGlobalFlags, false, "berth-runtime");
    if (!global) return usage_error(global.error().message());
    const auto cmds = runtime_cmd::commands();
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
    auto command = std::find_if(cmds.begin(), cmds.end(),
                                [&](const runtime_cmd::Command& c) { return c.name == name; });
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
    return run_command(*command, *global, *parsed);
}
