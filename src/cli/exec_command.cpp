// berth exec: POST /containers/{id}/exec, then /exec/{id}/start (hijacked unless -d), and the
// process's exit code from /exec/{id}/json.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>

#include "cli/attach_session.h"
#include "cli/container_commands.h"
#include "cli/container_config.h"
#include "cli/terminal.h"

namespace berth::cli {
namespace {

struct ExecOptions {
    std::string container;
    std::vector<std::string> command, env, env_files;
    bool interactive = false, tty = false, detach = false, privileged = false;
    std::string workdir, user, detach_keys;
};

Result<Json> exec_config(const ExecOptions& options) {
    // -e and --env-file resolve exactly as for run.
    ContainerOptions env_only;
    env_only.env = options.env;
    env_only.env_files = options.env_files;
    Json env = TRY(build_create_request(env_only, Environment::process())).body["Env"];
    Json config = {{"User", options.user},
                   {"Privileged", options.privileged},
                   {"Tty", options.tty},
                   {"AttachStdin", options.interactive && !options.detach},
                   {"AttachStderr", !options.detach},
                   {"AttachStdout", !options.detach},
                   {"Detach", options.detach},
                   {"DetachKeys", options.detach_keys},
                   {"Env", env},
                   {"WorkingDir", options.workdir},
                   {"Cmd", options.command}};
    return config;
}

void exec_command(CliContext& context, const ExecOptions& options) {
    auto run = [&]() -> Result<void> {
        auto* client = TRY(context.client());
        Json config = TRY(exec_config(options));
        Json created = TRY(client->call(
            "POST", "/containers/" + client::url_escape(options.container) + "/exec", config));
        std::string id = created.value("Id", "");
        std::string prefix = "/exec/" + client::url_escape(id);
        Json start = {{"Detach", options.detach}, {"Tty", options.tty}};
        if (options.detach) {
            TRY(client->call("POST", prefix + "/start", start));
            return {};
        }
        auto connection = TRY(client->hijack(prefix + "/start", start.dump()));
        std::optional<SignalWatch> signals;
        if (options.tty) signals.emplace(TRY(SignalWatch::watch({SIGWINCH})));
        std::optional<RawTerminal> raw;
        if (options.tty && options.interactive && ::isatty(STDIN_FILENO))
            raw.emplace(TRY(RawTerminal::enter(STDIN_FILENO)));
        auto resize = [&] {
            auto size = window_size(STDOUT_FILENO);
            if (!size || size->rows == 0) return;
            (void)client->request("POST", prefix + "/resize" +
                                              client::Query()
                                                  .add("h", std::to_string(size->rows))
                                                  .add("w", std::to_string(size->columns))
                                                  .str());
        };
        if (options.tty) resize();
        SessionOptions session{.tty = options.tty,
                               .send_stdin = options.interactive,
                               .detach_keys = TRY(parse_detach_keys(options.detach_keys)),
                               .signals = signals ? &*signals : nullptr,
                               .on_resize = resize};
        bool detached = TRY(run_session(connection, session));
        raw.reset();
        if (detached) return {};
        Json inspect = TRY(client->call("GET", prefix + "/json"));
        context.exit_code = inspect["ExitCode"].is_number() ? inspect["ExitCode"].get<int>() : 0;
        return {};
    };
    if (auto done = run(); !done) context.report(done.error(), 1);
}

}  // namespace

void add_exec_commands(const CommandGroups& groups, CliContext& context) {
    auto options = std::make_shared<ExecOptions>();
    for (auto* command :
         container_command(groups, "exec", "Execute a command in a running container")) {
        command->add_flag("-i,--interactive", options->interactive,
                          "Keep STDIN open even if not attached");
        command->add_flag("-t,--tty", options->tty, "Allocate a pseudo-TTY");
        command->add_flag("-d,--detach", options->detach,
                          "Detached mode: run command in the background");
        command->add_option("-e,--env", options->env, "Set environment variables")
            ->allow_extra_args(false);
        command
            ->add_option("--env-file", options->env_files,
                         "Read in a file of environment variables")
            ->allow_extra_args(false);
        command->add_option("-w,--workdir", options->workdir,
                            "Working directory inside the container");
        command->add_option("-u,--user", options->user,
                            "Username or UID (format: \"<name|uid>[:<group|gid>]\")");
        command->add_flag("--privileged", options->privileged,
                          "Give extended privileges to the command");
        command->add_option("--detach-keys", options->detach_keys,
                            "Override the key sequence for detaching a container");
        command->add_option("container", options->container, "Container")->required();
        command->add_option("command", options->command, "Command")->required();
        command->positionals_at_end(true);
        command->callback([&context, options] { exec_command(context, *options); });
    }
}

}  // namespace berth::cli
