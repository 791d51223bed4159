// What every berth command shares: the daemon address and its client (connected on first use),
// the local image store that maintenance commands open with --root, and the exit code the
// command chose.
#pragma once

#include <CLI/App.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "client/docker_client.h"
#include "client/tls_client.h"
#include "image/image_service.h"

namespace berth::cli {

class CliContext {
  public:
    std::string root = "/var/lib/berth";  // local store: image mount/umount/verify/bootstrap
    bool root_given = false;              // --root or BERTH_ROOT: image commands use the store
    std::string host;                     // -H/--host as given
    int exit_code = 0;
    bool debug = false;
    std::string log_level;
    client::TlsFlags tls;                          // --tls, --tlscacert, --tlscert, --tlskey
    bool tls_verify = false;                       // --tlsverify's value ...
    const CLI::Option* tls_verify_flag = nullptr;  // ... which counts when this was given

    // Image commands work on the local store when a root was named and no daemon was.
    bool local_store() const { return root_given && host.empty(); }

    // The daemon client; the address comes from -H, BERTH_HOST, DOCKER_HOST or the default, TLS
    // for tcp:// addresses from the flags and the environment (client::choose_tls_config).
    Result<client::DockerClient*> client();

    // The local image store (store maintenance only; everything else goes through the daemon).
    Result<image::ImageService*> images() {
        if (!images_) images_ = TRY(image::ImageService::open(root));
        return images_.get();
    }

    // Prints the error as docker does (its message alone, on stderr) and sets the exit code.
    void report(const Error& error, int code = 1) {
        std::fprintf(stderr, "%s\n", error.message().c_str());
        exit_code = code;
    }

    // run/create/start's form: "berth: <message>\n\nRun 'berth <command> --help' ...".
    void report_status(const Error& error, const std::string& command, int code) {
        std::fprintf(stderr, "berth: %s\n\nRun 'berth %s --help' for more information\n",
                     error.message().c_str(), command.c_str());
        exit_code = code;
    }

  private:
    std::unique_ptr<client::DockerClient> client_;
    std::unique_ptr<image::ImageService> images_;
};

// Where a command hangs: `berth NAME` (the parent is the app) or `berth GROUP NAME`.
struct CommandPlace {
    CLI::App* parent;
    std::string_view name;
    std::vector<std::string_view> aliases = {};  // other names docker accepts there ("list")
};

// The command groups docker has besides the top level: `berth container ls`, `berth image rm` ...
struct CommandGroups {
    CLI::App* app;
    CLI::App* container;
    CLI::App* image;
    CLI::App* system;
    // The command words of this command line ("run"; "container" "ls"); empty builds every
    // command (for help, or when the words name none).
    std::vector<std::string> words;
    mutable size_t built = 0;  // commands add() made

    // Adds the command at each of its places the command line names and returns those. Building
    // only them matters: all of docker's commands with their flags take longer to build (and
    // destroy) than a short command takes to run.
    std::vector<CLI::App*> add(const std::vector<CommandPlace>& places,
                               const std::string& description) const;
};

// Runs a command body; an error is reported and exits 1.
inline void guarded(CliContext& context, const std::function<Result<void>()>& body) {
    if (auto result = body(); !result) context.report(result.error());
}

inline void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace berth::cli
