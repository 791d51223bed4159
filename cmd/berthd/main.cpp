// berthd: the daemon. Serves the Docker Engine API on a unix socket until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "api/http_server.h"
#include "api/router.h"
#include "api/routes.h"
#include "base/fs.h"
#include "image/image_service.h"

namespace {

using namespace berth;

struct Options {
    std::string root = "/var/lib/berth";
    std::string host = "unix:///run/berth/berth.sock";
    bool debug = false;
};

// One logfmt line on stderr, written with a single write() so threads do not interleave.
void log_line(std::string_view level, std::string_view message) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::string line = "time=\"" + std::string(stamp) + "\" level=" + std::string(level) +
                       " msg=\"" + std::string(message) + "\"\n";
    (void)write_all(STDERR_FILENO, line);
}

Result<std::string> socket_path(const std::string& host) {
    if (host.starts_with("unix://")) {
        std::string path = host.substr(7);
        if (path.empty() || path.front() != '/')
            return fail(ErrorKind::InvalidArgument,
                        "unix host " + host + " needs an absolute path");
        return path;
    }
    if (host.starts_with("tcp://"))
        return fail(ErrorKind::Unsupported, "tcp hosts need --tlsverify; not supported yet");
    return fail(ErrorKind::InvalidArgument,
                "unsupported host " + host + ": use unix:///path/to/berth.sock");
}

Result<void> serve(const Options& options, const sigset_t& stop_signals) {
    std::string path = TRY(socket_path(options.host));
    TRY(mkdir_all(std::filesystem::path(path).parent_path().string(), 0755));
    TRY(mkdir_all(options.root, 0711));
    auto images = TRY_CTX(image::ImageService::open(options.root), "open the image store");
    api::Daemon daemon{.root = options.root,
                       .engine_id = TRY(api::load_engine_id(options.root)),
                       .debug = options.debug,
                       .images = images.get()};
    api::Router router;
    api::add_system_routes(router, daemon);
    api::add_image_routes(router, daemon);
    api::ServerOptions server_options;
    if (options.debug)
        server_options.log_request = [](const std::string& line) { log_line("debug", line); };
    auto server = TRY(api::HttpServer::listen_unix(path, router, server_options));

    TRY(server->start());
    log_line("info", "API listening on " + path);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log_line("info",
             std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
    server->stop();
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    // A client that hangs up mid-stream must cost that request, not the daemon.
    ::signal(SIGPIPE, SIG_IGN);
    Options options;
    CLI::App app{"berthd: the berth daemon (Docker Engine API)", "berthd"};
    app.add_option("--root", options.root, "Root directory of persistent state");
    app.add_option("-H,--host", options.host, "Daemon socket to listen on (unix:///path)");
    app.add_flag("-D,--debug", options.debug, "Log every request to stderr");
    app.set_version_flag("-v,--version",
                         "berthd version " BERTH_VERSION ", build " BERTH_GIT_COMMIT);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    // Blocked before any thread starts (the image store starts some), so every thread inherits
    // the mask and only sigwait() in serve() receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    if (auto result = serve(options, stop_signals); !result) {
        log_line("error", result.error().message());
        return 1;
    }
    return 0;
}
