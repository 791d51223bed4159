#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli/cli_context.h"
#include "cli/image_commands.h"

namespace berth::cli {

int run(int argc, char** argv) {
    CliContext context;
    if (const char* root = std::getenv("BERTH_ROOT"); root && *root) context.root = root;
    CLI::App app{"A self-sufficient runtime for containers", "berth"};
    app.require_subcommand(1);
    app.add_option("--root", context.root,
                   "Root directory of the engine's state (default /var/lib/berth)");
    app.set_version_flag("-v,--version",
                         "berth version " BERTH_VERSION ", build " BERTH_GIT_COMMIT);
    add_image_commands(app, context);
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

}  // namespace berth::cli
