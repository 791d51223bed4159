#include "cli/cli_context.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace berth::cli {
namespace {

std::string home_directory() {
    if (const char* home = std::getenv("HOME"); home && *home) return home;
    if (const passwd* entry = ::getpwuid(::getuid()); entry && entry->pw_dir) return entry->pw_dir;
    return "/";
}

}  // namespace

Result<client::DockerClient*> CliContext::client() {
    if (!client_) {
        std::string address =
            client::choose_daemon_host(host, std::getenv("BERTH_HOST"), std::getenv("DOCKER_HOST"));
        client::TlsFlags flags = tls;
        if (tls_verify_flag && tls_verify_flag->count() > 0) flags.verify = tls_verify;
        auto tls_config = client::choose_tls_config(
            flags,
            [](const char* name) {
                const char* value = std::getenv(name);
                return std::string(value ? value : "");
            },
            [](const std::string& path) {
                std::error_code ec;
                return std::filesystem::exists(path, ec);
            },
            home_directory());
        auto parsed = TRY(client::parse_daemon_host(address, tls_config.has_value()));
        // As docker's: unix sockets are local and never TLS, whatever the settings say.
        std::shared_ptr<const client::TlsClientContext> context;
        if (tls_config && parsed.kind == client::DaemonHost::Kind::Tcp)
            context = TRY(client::TlsClientContext::create(*tls_config));
        client_ =
            std::make_unique<client::DockerClient>(std::move(parsed), "berth", std::move(context));
    }
    return client_.get();
}

std::vector<CLI::App*> CommandGroups::add(const std::vector<CommandPlace>& places,
                                          const std::string& description) const {
    std::vector<CLI::App*> commands;
    for (const auto& place : places) {
        auto named = [&place](std::string_view word) {
            return word == place.name || std::find(place.aliases.begin(), place.aliases.end(),
                                                   word) != place.aliases.end();
        };
        bool wanted =
            words.empty() || (place.parent == app ? named(words[0])
                                                  : place.parent->get_name() == words[0] &&
                                                        (words.size() < 2 || named(words[1])));
        if (!wanted) continue;
        auto* command = place.parent->add_subcommand(std::string(place.name), description);
        for (auto alias : place.aliases)
            command->alias(std::string(alias));
        commands.push_back(command);
        ++built;
    }
    return commands;
}

}  // namespace berth::cli
