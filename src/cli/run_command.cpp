#include "cli/run_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <optional>

#include "cli/attach_session.h"
#include "cli/container_config.h"
#include "cli/terminal.h"

namespace berth::cli {

int start_error_status(const std::string& message) {
    if (message.find("executable file not found") != std::string::npos ||
        message.find("no such file or directory") != std::string::npos ||
        message.find("system cannot find the file specified") != std::string::npos)
        return 127;
    if (message.find("permission denied") != std::string::npos ||
        message.find("is a directory") != std::string::npos)
        return 126;
    return 125;
}

std::string with_default_tag(const std::string& image) {
    if (image.find('@') != std::string::npos) return image;
    auto slash = image.rfind('/');
    auto colon = image.rfind(':');
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return image;
    return image + ":latest";
}

namespace {

using client::DockerClient;
using client::Query;
using client::url_escape;

// A failure with the exit status docker's CLI gives it.
struct Failure {
    Error error;
    int status;
};

// A flag value docker's flag parser would refuse: its message, the usage line, exit 125.
bool report_flag_error(CliContext& context, const Error& error, const std::string& command) {
    if (!error.message().starts_with("invalid argument ")) return false;
    std::fprintf(stderr,
                 "%s\n\nUsage:  berth %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth %s "
                 "--help' for more information\n",
                 error.message().c_str(), command.c_str(), command.c_str());
    context.exit_code = 125;
    return true;
}

// Sent before start; answers with the exit status once the container exits (or is removed).
struct ExitWaiter {
    std::unique_ptr<client::PendingCall> call;

    static Result<ExitWaiter> begin(DockerClient& client, const std::string& id,
                                    std::string_view condition) {
        ExitWaiter waiter;
        waiter.call = TRY(client.begin(
            "POST", "/containers/" + url_escape(id) + "/wait" +
                        Query().add_if(!condition.empty(), "condition", condition).str()));
        // dockerd answers the head once the waiter is registered; a daemon that holds it back
        // still gets the request before start, after a short grace.
        TRY(waiter.call->head_arrived(2000));
        return waiter;
    }

    Result<int> status() {
        client::Response response = TRY(call->finish());
        if (!response.ok())
            return std::unexpected(client::daemon_error(response.status, response.body));
        Json body = TRY(parse_json(response.body, "wait response"));
        if (body.contains("Error") && body["Error"].is_object() &&
            !body["Error"].value("Message", "").empty())
            return fail(ErrorKind::Internal, body["Error"]["Message"].get<std::string>());
        return body.value("StatusCode", 0);
    }
};

void resize(DockerClient& client, const std::string& path_prefix) {
    auto size = window_size(STDOUT_FILENO);
    if (!size || size->rows == 0) return;
    (void)client.request("POST", path_prefix + "/resize" +
                                     Query()
                                         .add("h", std::to_string(size->rows))
                                         .add("w", std::to_string(size->columns))
                                         .str());
}

struct AttachPlan {
    bool stdin = false, stdout = true, stderr = true, tty = false;
    std::string detach_keys;
    bool sig_proxy = true;
};

// Attaches, runs `start` (may be empty), pumps the streams, and returns the exit status from
// `waiter`. The terminal is raw only while the session runs.
// The exit status, or nullopt when the user detached (the container keeps running).
Result<std::optional<int>> attached_session(DockerClient& client, const std::string& id,
                                            const AttachPlan& plan, ExitWaiter* waiter,
                                            const std::function<std::optional<Failure>()>& start,
                                            std::optional<Failure>& start_failure) {
    Query query;
    query.add("stream", "1")
        .add_if(plan.stdin, "stdin", "1")
        .add_if(plan.stdout, "stdout", "1")
        .add_if(plan.stderr, "stderr", "1")
        .add_if(!plan.detach_keys.empty(), "detachKeys", plan.detach_keys);
    auto connection = TRY(client.hijack("/containers/" + url_escape(id) + "/attach" + query.str()));
    std::optional<SignalWatch> signals;
    bool proxy = plan.sig_proxy && !plan.tty;
    if (proxy)
        signals.emplace(TRY(
            SignalWatch::watch({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})));
    else if (plan.tty)
        signals.emplace(TRY(SignalWatch::watch({SIGWINCH})));
    std::optional<RawTerminal> raw;
    if (plan.tty && plan.stdin && ::isatty(STDIN_FILENO))
        raw.emplace(TRY(RawTerminal::enter(STDIN_FILENO)));
    if (start) {
        start_failure = start();
        if (start_failure) return std::optional<int>(0);
    }
    std::string prefix = "/containers/" + url_escape(id);
    if (plan.tty) resize(client, prefix);
    SessionOptions session{
        .tty = plan.tty,
        .send_stdin = plan.stdin,
        .detach_keys = TRY(parse_detach_keys(plan.detach_keys)),
        .signals = signals ? &*signals : nullptr,
        .on_resize = [&] { resize(client, prefix); },
        .on_signal =
            [&](int signal) {
                if (proxy)
                    (void)client.request(
                        "POST",
                        prefix + "/kill" + Query().add("signal", std::to_string(signal)).str());
            },
    };
    bool detached = TRY(run_session(connection, session));
    raw.reset();
    if (detached) {
        std::fprintf(stderr, "\r\n");  // docker leaves the cursor on a fresh line too
        return std::optional<int>();
    }
    if (!waiter) return std::optional<int>(0);
    return std::optional<int>(TRY(waiter->status()));
}

std::optional<Failure> start_container(DockerClient& client, const std::string& id) {
    auto response = client.request("POST", "/containers/" + url_escape(id) + "/start");
    if (!response) return Failure{response.error(), 125};
    if (response->ok()) return std::nullopt;
    Error error = client::daemon_error(response->status, response->body);
    return Failure{error, start_error_status(error.message())};
}

// POST /containers/create; a missing image is reported as docker does, minus the pull.
Result<std::string> create_container(DockerClient& client, const ContainerOptions& options,
                                     int& status) {
    status = 125;
    CreateRequest request = TRY(build_create_request(options, Environment::process()));
    Query query;
    query.add_if(!request.name.empty(), "name", request.name)
        .add_if(!options.platform.empty(), "platform", options.platform);
    auto response =
        TRY(client.request("POST", "/containers/create" + query.str(), request.body.dump()));
    if (response.status == 404 && response.body.find("No such image") != std::string::npos) {
        // As docker: a pull, then the create again; the daemon says why it cannot pull.
        std::string image = with_default_tag(options.image);
        std::fprintf(stderr, "Unable to find image '%s' locally\n", image.c_str());
        auto pulled =
            TRY(client.request("POST", "/images/create" + Query().add("fromImage", image).str()));
        if (!pulled.ok()) return std::unexpected(client::daemon_error(pulled.status, pulled.body));
        response =
            TRY(client.request("POST", "/containers/create" + query.str(), request.body.dump()));
    }
    if (!response.ok())
        return std::unexpected(client::daemon_error(response.status, response.body));
    Json created = TRY(parse_json(response.body, "create response"));
    if (created.contains("Warnings") && created["Warnings"].is_array())
        for (auto& warning : created["Warnings"])
            if (warning.is_string())
                std::fprintf(stderr, "WARNING: %s\n", warning.get<std::string>().c_str());
    return created.value("Id", "");
}

void run_command(CliContext& context, const ContainerOptions& options) {
    auto client_or = context.client();
    if (!client_or) return context.report_status(client_or.error(), "run", 125);
    DockerClient& client = **client_or;
    int status = 125;
    auto id = create_container(client, options, status);
    if (!id && report_flag_error(context, id.error(), "run")) return;
    if (!id) return context.report_status(id.error(), "run", status);
    if (options.detach) {
        if (auto failure = start_container(client, *id)) {
            if (options.rm)
                (void)client.request("DELETE", "/containers/" + url_escape(*id) + "?force=1&v=1");
            return context.report_status(failure->error, "run", failure->status);
        }
        std::printf("%s\n", id->c_str());
        return;
    }
    AttachPlan plan{.stdin = options.interactive,
                    .tty = options.tty,
                    .detach_keys = options.detach_keys,
                    .sig_proxy = options.sig_proxy};
    if (!options.attach.empty()) {
        plan.stdin = plan.stdout = plan.stderr = false;
        for (auto& stream : options.attach) {
            plan.stdin |= stream == "stdin" || stream == "STDIN";
            plan.stdout |= stream == "stdout" || stream == "STDOUT";
            plan.stderr |= stream == "stderr" || stream == "STDERR";
        }
    }
    auto waiter = ExitWaiter::begin(client, *id, options.rm ? "removed" : "next-exit");
    if (!waiter) return context.report_status(waiter.error(), "run", 125);
    std::optional<Failure> start_failure;
    auto exit_status = attached_session(
        client, *id, plan, &*waiter, [&] { return start_container(client, *id); }, start_failure);
    if (start_failure) {
        if (options.rm)
            (void)client.request("DELETE", "/containers/" + url_escape(*id) + "?force=1&v=1");
        return context.report_status(start_failure->error, "run", start_failure->status);
    }
    if (!exit_status) return context.report_status(exit_status.error(), "run", 125);
    context.exit_code = exit_status->value_or(0);
}

void create_command(CliContext& context, const ContainerOptions& options) {
    auto client_or = context.client();
    if (!client_or) return context.report(client_or.error());
    int status = 1;
    auto id = create_container(**client_or, options, status);
    if (!id && report_flag_error(context, id.error(), "create")) return;
    if (!id) return context.report(id.error(), 1);
    std::printf("%s\n", id->c_str());
}

struct StartOptions {
    bool attach = false, interactive = false;
    std::string detach_keys;
    std::vector<std::string> containers;
};

void start_command(CliContext& context, const StartOptions& options) {
    auto client_or = context.client();
    if (!client_or) return context.report(client_or.error());
    DockerClient& client = **client_or;
    if (options.attach || options.interactive) {
        if (options.containers.size() > 1)
            return context.report(Error(ErrorKind::InvalidArgument,
                                        "you cannot attach to multiple containers at once"));
        const std::string& name = options.containers[0];
        auto info = client.call("GET", "/containers/" + url_escape(name) + "/json");
        if (!info) return context.report(info.error());
        std::string id = (*info)["Id"];
        const Json& config = (*info)["Config"];
        AttachPlan plan{.stdin = options.interactive && config.value("OpenStdin", false),
                        .stdout = options.attach,
                        .stderr = options.attach,
                        .tty = config.value("Tty", false),
                        .detach_keys = options.detach_keys};
        bool auto_remove = (*info)["HostConfig"].value("AutoRemove", false);
        auto waiter = ExitWaiter::begin(client, id, auto_remove ? "removed" : "next-exit");
        if (!waiter) return context.report(waiter.error());
        std::optional<Failure> start_failure;
        auto status = attached_session(
            client, id, plan, &*waiter, [&] { return start_container(client, id); }, start_failure);
        if (start_failure) return context.report(start_failure->error, start_failure->status);
        if (!status) return context.report(status.error());
        context.exit_code = status->value_or(0);
        return;
    }
    std::vector<std::string> failed;
    for (auto& name : options.containers) {
        if (auto failure = start_container(client, name)) {
            std::fprintf(stderr, "%s\n", failure->error.message().c_str());
            failed.push_back(name);
            continue;
        }
        std::printf("%s\n", name.c_str());
    }
    if (!failed.empty()) {
        std::string list;
        for (auto& name : failed)
            list += (list.empty() ? "" : ", ") + name;
        context.report(Error(ErrorKind::Internal, "Error: failed to start containers: " + list));
    }
}

struct AttachOptions {
    std::string container, detach_keys;
    bool no_stdin = false, sig_proxy = true;
};

void attach_command(CliContext& context, const AttachOptions& options) {
    auto client_or = context.client();
    if (!client_or) return context.report(client_or.error());
    DockerClient& client = **client_or;
    auto info = client.call("GET", "/containers/" + url_escape(options.container) + "/json");
    if (!info) return context.report(info.error());
    if (!(*info)["State"].value("Running", false))
        return context.report(
            Error(ErrorKind::Conflict, "You cannot attach to a stopped container, start it first"));
    if ((*info)["State"].value("Paused", false))
        return context.report(Error(ErrorKind::Conflict,
                                    "You cannot attach to a paused container, unpause it first"));
    std::string id = (*info)["Id"];
    const Json& config = (*info)["Config"];
    AttachPlan plan{.stdin = !options.no_stdin && config.value("OpenStdin", false),
                    .tty = config.value("Tty", false),
                    .detach_keys = options.detach_keys,
                    .sig_proxy = options.sig_proxy};
    auto waiter = ExitWaiter::begin(client, id, "");
    if (!waiter) return context.report(waiter.error());
    std::optional<Failure> unused;
    auto status = attached_session(client, id, plan, &*waiter, nullptr, unused);
    if (!status) return context.report(status.error());
    context.exit_code = status->value_or(0);
}

}  // namespace

void add_run_commands(const CommandGroups& groups, CliContext& context) {
    auto run_options = std::make_shared<ContainerOptions>();
    for (auto* command : groups.add({{groups.app, "run"}, {groups.container, "run"}},
                                    "Create and run a new container from an image")) {
        add_container_flags(command, *run_options, true);
        command->callback([&context, run_options] { run_command(context, *run_options); });
    }
    auto create_options = std::make_shared<ContainerOptions>();
    for (auto* command : groups.add({{groups.app, "create"}, {groups.container, "create"}},
                                    "Create a new container")) {
        add_container_flags(command, *create_options, false);
        command->callback([&context, create_options] { create_command(context, *create_options); });
    }
    auto start_options = std::make_shared<StartOptions>();
    for (auto* command : groups.add({{groups.app, "start"}, {groups.container, "start"}},
                                    "Start one or more stopped containers")) {
        command->add_flag("-a,--attach", start_options->attach,
                          "Attach STDOUT/STDERR and forward signals");
        command->add_flag("-i,--interactive", start_options->interactive,
                          "Attach container's STDIN");
        command->add_option("--detach-keys", start_options->detach_keys,
                            "Override the key sequence for detaching a container");
        command->add_option("container", start_options->containers, "Container")->required();
        command->callback([&context, start_options] { start_command(context, *start_options); });
    }
    auto attach_options = std::make_shared<AttachOptions>();
    for (auto* command :
         groups.add({{groups.app, "attach"}, {groups.container, "attach"}},
                    "Attach local standard input, output, and error streams to a running "
                    "container")) {
        command->add_flag("--no-stdin", attach_options->no_stdin, "Do not attach STDIN");
        command->add_option("--sig-proxy", attach_options->sig_proxy,
                            "Proxy all received signals to the process");
        command->add_option("--detach-keys", attach_options->detach_keys,
                            "Override the key sequence for detaching a container");
        command->add_option("container", attach_options->container, "Container")->required();
        command->callback([&context, attach_options] { attach_command(context, *attach_options); });
    }
}

}  // namespace berth::cli
