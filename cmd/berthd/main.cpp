// berthd: the daemon. Serves the Docker Engine API on its -H hosts (unix sockets, TCP with TLS,
// sockets passed by systemd) until SIGTERM or SIGINT. The configuration (daemon.json and flags)
// and the listeners live in src/api: daemon_config.h, listeners.h.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/daemon_config.h"
#include "api/http_server.h"
#include "api/listeners.h"
#include "api/pidfile.h"
#include "api/router.h"
#include "api/routes.h"
#include "base/fs.h"
#include "base/utf8.h"
#include "engine/data_root_check.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/image_service.h"

namespace {

using namespace berth;

constexpr int kDataRootRefused = 65;  // sysexits' EX_DATAERR

// One logfmt line on stderr, written with a single write() so threads do not interleave; lines
// below the configured level are dropped.
class Log {
  public:
    explicit Log(std::string_view level) : threshold_(rank(level)) {}
    void operator()(std::string_view level, std::string_view message) const {
        if (rank(level) < threshold_) return;
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
        std::string line = "time=\"" + std::string(stamp) + "\" level=" + std::string(level) +
                           " msg=\"" + quoted(message) + "\"\n";
        (void)write_all(STDERR_FILENO, line);
    }

  private:
    // Messages quote what they were given (a damaged file's bytes in a parse error): escaped,
    // so that one message stays one line of text and the quotes hold.
    static std::string quoted(std::string_view message) {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        for (size_t i = 0; i < message.size();) {
            auto c = static_cast<unsigned char>(message[i]);
            auto [rune, size] = decode_utf8(message, i);
            if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x20 || c == 0x7f || rune < 0) {
                out += "\\x";
                out += kHex[c >> 4];
                out += kHex[c & 0xf];
            } else {
                out.append(message.substr(i, size));
            }
            i += size;
        }
        return out;
    }
    static int rank(std::string_view level) {
        constexpr std::string_view levels[] = {"debug", "info", "warning", "error", "fatal"};
        for (int i = 0; i < 5; ++i)
            if (levels[i].starts_with(level)) return i;
        return 1;
    }
    int threshold_;
};

// The engine's settings; its helper binaries sit next to berthd (installed or in the build).
engine::EngineOptions engine_options(const api::DaemonConfig& options, const Log& log) {
    engine::EngineOptions out;
    out.root = options.root;
    out.exec_root = options.exec_root;
    std::string self = std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
    out.monitor_binary = self + "/berth-monitor";
    out.init_binary = self + "/berth-init";
    // Containers created without LogConfig get daemon.json's log-opts, as with dockerd.
    out.default_log_opts = options.log_opts;
    for (const auto& [name, limit] : options.default_ulimits)
        out.default_ulimits.push_back({{"Name", name}, {"Soft", limit.soft}, {"Hard", limit.hard}});
    for (const auto& [name, runtime] : options.runtimes)
        out.runtimes[name] = oci_runtime::RuntimeBinary{runtime.path, runtime.args};
    out.default_runtime = options.default_runtime;
    out.warn = [log](std::string_view message) { log("warning", message); };
    return out;
}

// berthd --recover-metadata over a database set aside: the images are recorded again from the
// stores (the containers from their container.json, by the engine's reconciliation).
void rebuild_image_records(image::ImageService& images, const Log& log) {
    auto report = images.rebuild_records();
    if (!report) {
        log("error", "recover the image records: " + report.error().message());
        return;
    }
    for (const auto& lost : report->lost)
        log("warning", "recover-metadata: cannot recover " + lost);
    log("warning", "recover-metadata: " + std::to_string(report->recovered) +
                       " images recorded again from the image store, without their tags");
}

Result<void> serve(const api::DaemonConfig& options, const Log& log, const sigset_t& stop_signals,
                   bool database_set_aside) {
    // Traversable, not listable, as dockerd sets its root (the API socket may be in the exec
    // root); what holds secrets below is 0700/0600 (docs/daemon.md, "Files and secrets").
    for (const auto& dir : {options.root, options.exec_root}) {
        TRY(mkdir_all(dir, 0711));
        if (::chmod(dir.c_str(), 0711) != 0) return fail_errno("chmod " + dir);
    }
    auto pidfile = TRY(api::PidFile::create(options.pidfile));
    auto listeners = TRY(
        api::open_listeners(options, [&](std::string_view message) { log("warning", message); }));
    std::vector<std::string> addresses;
    for (const auto& listener : listeners)
        addresses.push_back(listener.address);
    api::Router router;
    api::ServerOptions server_options;
    if (options.debug) {
        server_options.log_request = [&](const std::string& line) { log("debug", line); };
        server_options.log_error = [&](const std::string& line) { log("debug", line); };
    }
    server_options.log_warning = [&](const std::string& line) { log("warning", line); };
    // Made at once: the server owns the sockets (and removes their files) from here on.
    auto server = TRY(api::HttpServer::create(std::move(listeners), router, server_options));

    auto images = TRY_CTX(image::ImageService::open(options.root), "open the image store");
    if (database_set_aside) rebuild_image_records(*images, log);
    engine::EventBus events;
    auto engine = TRY_CTX(engine::Engine::open(engine_options(options, log), *images, events),
                          "start the engine");
    images->collect_leftovers([&](std::string_view message) { log("info", message); });
    api::Daemon daemon{
        .root = options.root,
        .engine_id = TRY(api::load_engine_id(
            options.root, [&](std::string_view message) { log("warning", message); })),
        .debug = options.debug,
        .images = images.get(),
        .engine = engine.get(),
        .events = &events};
    api::add_system_routes(router, daemon);
    api::add_image_routes(router, daemon);
    api::add_container_routes(router, daemon);
    api::add_container_data_routes(router, daemon);
    api::add_event_routes(router, daemon);
    TRY(server->start());
    for (const auto& address : addresses)
        log("info", "API listening on " + address);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    log("info", std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM"));
    engine->shutdown();
    events.close_all();
    server->stop();
    return {};
}

// Every connection, container log and monitor socket is a file descriptor: take all the hard
// limit allows, as dockerd does (Go raises it at start), rather than fail at the soft 1024.
void raise_open_file_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int main(int argc, char** argv) {
    // A client that hangs up mid-stream must cost that request, not the daemon.
    ::signal(SIGPIPE, SIG_IGN);
    raise_open_file_limit();
    auto command_line = api::parse_daemon_flags(argc, argv);
    if (command_line.exit_code) return *command_line.exit_code;
    auto config = api::load_daemon_config(command_line.flags);
    if (!config) {
        Log("info")("error", config.error().message());
        return 1;
    }
    Log log(config->log_level);
    // Blocked before any thread starts (the image store starts some), so every thread inherits
    // the mask and only sigwait() in serve() receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    // A damaged or lost database is not mended by starting again: an exit status of its own,
    // which the systemd unit does not restart on (RestartPreventExitStatus), so no restart loop.
    bool database_set_aside = false;
    if (auto checked = engine::check_data_root(config->root); !checked) {
        bool refused = checked.error().sys_errno() == EUCLEAN;
        if (!refused || !config->recover_metadata) {
            log("error", checked.error().message());
            return refused ? kDataRootRefused : 1;
        }
        auto aside = engine::set_aside_database(config->root);
        if (!aside) {
            log("error", aside.error().message());
            return 1;
        }
        log("warning", checked.error().message().substr(0, checked.error().message().find(':')) +
                           ": moved aside as " + *aside + "; recovering from the files");
        database_set_aside = true;
    }
    if (auto result = serve(*config, log, stop_signals, database_set_aside); !result) {
        log("error", result.error().message());
        return 1;
    }
    return 0;
}
