#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/cli_context.h"
#include "cli/container_commands.h"
#include "cli/image_commands.h"
#include "cli/run_command.h"

namespace berth::cli {
namespace {

int parse_and_run(CLI::App& app, CliContext& context, int argc, char** argv) {
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
    std::string ignored;
    app.add_option("--tlscacert", ignored,
                   "Trust certs signed only by this CA (default ~/.docker/ca.pem)")
        ->each([&context](const std::string& path) { context.tls.ca = path; });
    app.add_option("--tlscert", ignored,
                   "Path to TLS certificate file (default ~/.docker/cert.pem)")
        ->each([&context](const std::string& path) { context.tls.cert = path; });
    app.add_option("--tlskey", ignored, "Path to TLS key file (default ~/.docker/key.pem)")
        ->each([&context](const std::string& path) { context.tls.key = path; });
    app.set_version_flag("-v,--version",
                         "berth version " BERTH_VERSION ", build " BERTH_GIT_COMMIT);
    CommandGroups groups{
        .app = &app,
        .container = app.add_subcommand("container", "Manage containers"),
        .image = app.add_subcommand("image", "Manage images"),
        .system = app.add_subcommand("system", "Manage berth"),
    };
    groups.container->require_subcommand(1);
    groups.image->require_subcommand(1);
    groups.system->require_subcommand(1);
    add_run_commands(groups, context);
    add_container_commands(groups, context);
    add_image_commands(groups, context);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
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
    CLI::App app{"A self-sufficient runtime for containers", "berth"};
    try {
        return parse_and_run(app, context, argc, argv);
    } catch (const CLI::Error& e) {
        std::fprintf(stderr, "berth: %s\n", e.what());
        return 125;
    }
}

}  // namespace berth::cli
