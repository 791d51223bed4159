// berth-runtime: an OCI runtime with runc's command line, so containerd, dockerd and Kubernetes
// can use it in place of runc.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "base/child_process.h"
#include "base/fs.h"
#include "base/logger.h"
#include "oci/runtime_spec.h"
#include "runtime/runtime.h"
#include "runtime/self_protect.h"
#include "runtime/signals.h"

namespace {

using berth::Error;
using berth::ErrorKind;
using berth::Json;
using berth::Result;

constexpr const char* kDefaultRoot = "/run/berth-runtime";

struct GlobalFlags {
    std::string root = kDefaultRoot;
    std::string log;
    std::string log_format = "text";
    bool debug = false;
    bool systemd_cgroup = false;
    std::string rootless = "auto";
    std::string criu;
};

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

// runc's `exec ID COMMAND...` takes everything after the id as the command, even words that look
// like flags (`exec ID sh -c 'echo hi'`). CLI11 would read "-c" as exec's --cap, so the command is
// cut off argv here, before parsing.
bool is_one_of(std::string_view arg, std::initializer_list<std::string_view> names) {
    for (auto name : names)
        if (arg == name) return true;
    return false;
}

// The index of the subcommand in argv, past the global flags (argc if there is none).
int subcommand_index(int argc, char** argv) {
    int i = 1;
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg.empty() || arg.front() != '-') break;
        if (is_one_of(arg, {"--root", "--log", "--log-format", "--criu", "--rootless"})) ++i;
    }
    return i;
}

std::vector<std::string> split_exec_command(int& argc, char** argv) {
    const auto takes_value = is_one_of;
    int i = subcommand_index(argc, argv);
    if (i >= argc || std::string_view(argv[i]) != "exec") return {};
    for (++i; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            // "exec -- ID CMD": drop the separator, the id follows.
            for (int j = i; j + 1 < argc; ++j)
                argv[j] = argv[j + 1];
            --argc;
            break;
        }
        if (arg.empty() || arg.front() != '-') break;
        if (takes_value(arg, {"-p", "--process", "--console-socket", "--cwd", "-e", "--env", "-u",
                              "--user", "-g", "--additional-gids", "-c", "--cap", "--pid-file",
                              "--preserve-fds", "--process-label", "--apparmor", "--cgroup"}))
            ++i;
    }
    // argv[i] is the id; what follows is the command.
    std::vector<std::string> command;
    if (i + 1 < argc) {
        for (int j = i + 1; j < argc; ++j)
            command.emplace_back(argv[j]);
        argc = i + 1;
    }
    return command;
}

}  // namespace

int main(int argc, char** argv) {
    // Commands that put a process into a container run from a protected copy of this binary.
    // Checked before anything else, since it usually means exec'ing again.
    if (int sub = subcommand_index(argc, argv);
        sub < argc && is_one_of(argv[sub], {"create", "run", "exec"})) {
        if (auto r = berth::runtime::ensure_running_from_sealed_copy(argv); !r) {
            std::fprintf(stderr, "berth-runtime: %s\n", r.error().message().c_str());
            return 1;
        }
    }
    // A write to a closed pipe (a hook that ignores its stdin) is an error to handle, not a death.
    ::signal(SIGPIPE, SIG_IGN);
    int parse_argc = argc;
    std::vector<char*> parse_argv(argv, argv + argc);
    std::vector<std::string> exec_command = split_exec_command(parse_argc, parse_argv.data());

    CLI::App app{"berth-runtime: an OCI container runtime with runc's command line",
                 "berth-runtime"};
    app.set_version_flag("-v,--version", std::string("berth-runtime version ") + BERTH_VERSION +
                                             "\ncommit: " + BERTH_GIT_COMMIT + "\nspec: 1.2.0");
    app.require_subcommand(1);
    GlobalFlags g;
    app.add_option("--root", g.root, "directory for container state")->capture_default_str();
    app.add_option("--log", g.log, "log file (default: stderr)");
    app.add_option("--log-format", g.log_format, "log format: text or json")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_flag("--debug", g.debug, "log debug messages");
    app.add_flag("--systemd-cgroup", g.systemd_cgroup, "manage cgroups through systemd");
    app.add_option("--rootless", g.rootless, "rootless mode: true, false or auto");
    app.add_option("--criu", g.criu, "path to criu (checkpointing is not supported)");

    berth::runtime::CreateOptions create;
    auto add_create_flags = [&](CLI::App* cmd) {
        cmd->add_option("-b,--bundle", create.bundle, "path to the bundle directory");
        cmd->add_option("--console-socket", create.console_socket,
                        "unix socket that receives the pty master");
        cmd->add_option("--pid-file", create.pid_file, "file to write the init process id to");
        cmd->add_option("--preserve-fds", create.preserve_fds,
                        "number of extra fds (after stdio) to pass on");
        cmd->add_flag("--no-pivot", create.no_pivot,
                      "do not use pivot_root (for a rootfs on a ramdisk)");
        cmd->add_flag("--no-new-keyring", create.no_new_keyring,
                      "keep the caller's session keyring");
        cmd->add_option("id", create.id, "container id")->required();
    };
    auto* cmd_create = app.add_subcommand("create", "create a container");
    add_create_flags(cmd_create);
    auto* cmd_run = app.add_subcommand("run", "create and start a container");
    add_create_flags(cmd_run);
    cmd_run->add_flag("-d,--detach", create.detach, "detach from the container's process");
    bool keep = false;
    cmd_run->add_flag("--keep", keep, "keep the container's state after it exits");

    std::string id;
    auto* cmd_start = app.add_subcommand("start", "start the process of a created container");
    cmd_start->add_option("id", id, "container id")->required();
    auto* cmd_state = app.add_subcommand("state", "print a container's state as JSON");
    cmd_state->add_option("id", id, "container id")->required();

    bool all = false;
    std::string signal_name = "SIGTERM";
    auto* cmd_kill = app.add_subcommand("kill", "send a signal to a container's init");
    cmd_kill->add_flag("-a,--all", all, "signal every process of the container");
    cmd_kill->add_option("id", id, "container id")->required();
    cmd_kill->add_option("signal", signal_name, "signal name or number (default SIGTERM)");

    bool force = false;
    auto* cmd_delete = app.add_subcommand("delete", "delete a container");
    cmd_delete->add_flag("-f,--force", force, "kill the container first if it runs");
    cmd_delete->add_option("id", id, "container id")->required();

    std::string list_format = "table";
    bool quiet = false;
    auto* cmd_list = app.add_subcommand("list", "list containers");
    cmd_list->alias("ls");
    cmd_list->add_option("-f,--format", list_format, "table or json");
    cmd_list->add_flag("-q,--quiet", quiet, "print only ids");

    berth::runtime::ExecOptions exec;
    std::string process_label, apparmor, cgroup;
    bool ignore_paused = false;
    auto* cmd_exec = app.add_subcommand("exec", "run a new process in a running container");
    cmd_exec->add_option("-p,--process", exec.process_file, "process.json to run");
    cmd_exec->add_option("--console-socket", exec.console_socket,
                         "unix socket that receives the pty master");
    cmd_exec->add_option("--cwd", exec.cwd, "working directory");
    cmd_exec->add_option("-e,--env", exec.env, "environment variable KEY=value")
        ->allow_extra_args(false);
    cmd_exec->add_flag("-t,--tty", exec.tty, "allocate a terminal");
    cmd_exec->add_option("-u,--user", exec.user, "uid[:gid]");
    cmd_exec->add_option("-g,--additional-gids", exec.additional_gids, "additional gid")
        ->allow_extra_args(false);
    cmd_exec->add_option("-c,--cap", exec.cap_add, "add a capability")->allow_extra_args(false);
    cmd_exec->add_flag("--no-new-privs", exec.no_new_privileges, "set no_new_privs");
    cmd_exec->add_flag("-d,--detach", exec.detach, "detach from the process");
    cmd_exec->add_option("--pid-file", exec.pid_file, "file to write the process id to");
    cmd_exec->add_option("--preserve-fds", exec.preserve_fds, "number of extra fds to pass on");
    cmd_exec->add_option("--process-label", process_label, "SELinux label (not supported)");
    cmd_exec->add_option("--apparmor", apparmor, "AppArmor profile (not supported)");
    cmd_exec->add_option("--cgroup", cgroup, "sub-cgroup to join (not supported yet)");
    cmd_exec->add_flag("--ignore-paused", ignore_paused, "allow exec in a paused container");
    cmd_exec->add_option("id", exec.id, "container id")->required();

    std::string spec_bundle = ".";
    bool spec_rootless = false;
    auto* cmd_spec = app.add_subcommand("spec", "write a default config.json");
    cmd_spec->add_option("-b,--bundle", spec_bundle, "bundle directory");
    cmd_spec->add_flag("--rootless", spec_rootless, "a config for rootless containers");

    auto* cmd_features =
        app.add_subcommand("features", "print the features of this runtime as JSON");

    // Part of runc's command line that arrives with cgroups, seccomp and hooks.
    std::vector<CLI::App*> later;
    std::string ps_format = "table";
    std::vector<std::string> ps_args;
    auto* cmd_ps = app.add_subcommand("ps", "list the processes of a container");
    cmd_ps->add_option("-f,--format", ps_format, "table or json");
    cmd_ps->add_option("id", id, "container id")->required();
    cmd_ps->add_option("ps-args", ps_args, "arguments for ps(1) (default -ef)");

    for (const char* name : {"pause", "resume", "update", "events", "checkpoint", "restore"}) {
        auto* cmd = app.add_subcommand(name, std::string(name) + " (not supported yet)");
        cmd->allow_extras();
        later.push_back(cmd);
    }

    try {
        app.parse(parse_argc, parse_argv.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    exec.args = exec_command;

    berth::Logger log;
    auto log_format = g.log_format == "json" ? berth::LogFormat::Json : berth::LogFormat::Text;
    if (auto r = log.open(g.log, log_format, g.debug); !r) {
        std::fprintf(stderr, "berth-runtime: %s\n", r.error().message().c_str());
        return 1;
    }
    auto report = [&](const Error& error) {
        log.error(error.message());
        if (!log.to_stderr()) std::fprintf(stderr, "berth-runtime: %s\n", error.message().c_str());
        return 1;
    };
    if (g.systemd_cgroup && ::access("/run/systemd/system", F_OK) != 0)
        return report(Error(
            ErrorKind::Unavailable,
            "--systemd-cgroup: systemd is not running on this host; use the cgroupfs driver"));
    if (g.systemd_cgroup) log.warn("--systemd-cgroup: cgroups are not managed yet");

    berth::runtime::Runtime runtime(g.root, log);
    Result<int> result = 0;
    auto as_code = [](Result<void> r) -> Result<int> {
        if (!r) return std::unexpected(std::move(r).error());
        return 0;
    };
    if (cmd_create->parsed()) {
        result = as_code(runtime.create(create));
    } else if (cmd_run->parsed()) {
        result = runtime.run(create);
    } else if (cmd_start->parsed()) {
        result = as_code(runtime.start(id));
    } else if (cmd_state->parsed()) {
        auto state = runtime.state(id);
        if (state) std::printf("%s\n", state->dump(2).c_str());
        result = as_code(state ? Result<void>{} : std::unexpected(state.error()));
    } else if (cmd_kill->parsed()) {
        auto sig = berth::runtime::parse_signal(signal_name);
        result = sig ? as_code(runtime.kill(id, *sig, all)) : std::unexpected(sig.error());
    } else if (cmd_delete->parsed()) {
        result = as_code(runtime.remove(id, force));
    } else if (cmd_list->parsed()) {
        result = as_code(print_list(runtime, list_format, quiet));
    } else if (cmd_exec->parsed()) {
        if (!process_label.empty()) log.warn("--process-label is ignored: no SELinux support");
        if (!apparmor.empty()) log.warn("--apparmor is ignored: no AppArmor support");
        result = runtime.exec(exec);
    } else if (cmd_ps->parsed()) {
        result = as_code(print_ps(runtime, id, ps_format, ps_args));
    } else if (cmd_spec->parsed()) {
        if (spec_rootless)
            log.warn("--rootless: the default spec is written; adjust uid/gid mappings by hand");
        result = as_code(write_default_spec(spec_bundle));
    } else if (cmd_features->parsed()) {
        std::printf("%s\n", berth::runtime::features_json().dump(4).c_str());
    } else {
        for (auto* cmd : later)
            if (cmd->parsed())
                result = std::unexpected(Error(
                    ErrorKind::Unsupported,
                    cmd->get_name() + ": not supported yet (cgroups arrive in the next version)"));
    }
    if (!result) return report(result.error());
    std::fflush(stdout);
    return *result;
}
