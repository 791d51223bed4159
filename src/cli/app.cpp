#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_context.h"
#include "cli/container_commands.h"
#include "cli/image_commands.h"
#include "cli/run_command.h"

namespace berth::cli {
namespace {

// The command words of a command line: the first argument that is no global option (nor the
// value of one), and for a group (container, image, system) the next word after it.
std::vector<std::string> command_words(int argc, char** argv) {
    static constexpr std::array kValueOptions{
        "-H", "--host", "--root", "-l", "--log-level", "--tlscacert", "--tlscert", "--tlskey"};
    std::vector<std::string> words;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") continue;
        if (arg.starts_with('-')) {
            if (words.empty() &&
                std::find(kValueOptions.begin(), kValueOptions.end(), arg) != kValueOptions.end())
                ++i;  // its value
            continue;
        }
        words.emplace_back(arg);
        if (words.size() == 2 || (arg != "container" && arg != "image" && arg != "system")) break;
    }
    return words;
}

// Builds the command tree, or the part of it `words` names; returns how many commands it holds.
size_t build(CLI::App& app, CliContext& context, std::vector<std::string> words) {
    app.require_subcommand(1);
    app.add_option("-H,--host", context.host,
                   "Daemon socket to connect to (default: BERTH_HOST, DOCKER_HOST, "
                   "unix:///run/berth/berth.sock)");
    app.add_option("--root", context.root,
                   "Use the local image store in this directory instead of the daemon for the "
                   "image commands (default /var/lib/berth for mount/umount/verify/bootstrap)")
        ->each([&context](const std::string&) { context.root_given = true; });
    // Accepted for docker compatibility; the client has nothing to log.
    app.add_flag("-D,--debug", context.debug, "Enable debug mode");
    app.add_option("-l,--log-level", context.log_level, "Set the logging level");
    // docker's TLS flags (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): see client::choose_tls_config.
    app.add_flag("--tls", context.tls.tls, "Use TLS; implied by --tlsverify");
    context.tls_verify_flag =
        app.add_flag("--tlsverify", context.tls_verify, "Use TLS and verify the remote");
    app.add_option_function<std::string>(
        "--tlscacert", [&context](const std::string& path) { context.tls.ca = path; },
        "Trust certs signed only by this CA (default ~/.docker/ca.pem)");
    app.add_option_function<std::string>(
        "--tlscert", [&context](const std::string& path) { context.tls.cert = path; },
        "Path to TLS certificate file (default ~/.docker/cert.pem)");
    app.add_option_function<std::string>(
        "--tlskey", [&context](const std::string& path) { context.tls.key = path; },
        "Path to TLS key file (default ~/.docker/key.pem)");
    app.set_version_flag("-v,--version",
                         "berth version " BERTH_VERSION ", build " BERTH_GIT_COMMIT);
    CommandGroups groups{
        .app = &app,
        .container = app.add_subcommand("container", "Manage containers"),
        .image = app.add_subcommand("image", "Manage images"),
        .system = app.add_subcommand("system", "Manage berth"),
        .words = std::move(words),
    };
    groups.container->require_subcommand(1);
    groups.image->require_subcommand(1);
    groups.system->require_subcommand(1);
    add_run_commands(groups, context);
    add_container_commands(groups, context);
    add_image_commands(groups, context);
    return groups.built;
}

int parse_and_run(CliContext& context, int argc, char** argv) {
    const char* description = "A self-sufficient runtime for containers";
    auto app = std::make_unique<CLI::App>(description, "berth");
    // Words no command has get CLI11's own error, which needs the whole tree.
    if (build(*app, context, command_words(argc, argv)) == 0) {
        app = std::make_unique<CLI::App>(description, "berth");
        build(*app, context, {});
    }
    try {
        app->parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app->exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app->exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app->exit(e);
    } catch (const CLI::ParseError& e) {
        // docker: usage errors print the problem and a pointer to --help, and exit 125.
        std::fprintf(stderr, "berth: %s\nSee 'berth --help'.\n", e.what());
        return 125;
    }
    return context.exit_code;
}

}  // namespace

int run(int argc, char** argv) {
    CliContext context;
    if (const char* root = std::getenv("BERTH_ROOT"); root && *root) {
        context.root = root;
        context.root_given = true;
    }
    try {
        return parse_and_run(context, argc, argv);
    } catch (const CLI::Error& e) {
        std::fprintf(stderr, "berth: %s\n", e.what());
        return 125;
    }
}

}  // namespace berth::cli
