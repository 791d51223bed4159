#include "cli/cli_context.h"

#include <cstdlib>

namespace berth::cli {

Result<client::DockerClient*> CliContext::client() {
    const char* tls_env = std::getenv("DOCKER_TLS_VERIFY");
    if (tls || (tls_env && *tls_env))
        return fail(ErrorKind::Unsupported, "TLS connections to the daemon are not supported yet");
    if (!client_) {
        std::string address =
            client::choose_daemon_host(host, std::getenv("BERTH_HOST"), std::getenv("DOCKER_HOST"));
        auto parsed = client::parse_daemon_host(address);
        if (!parsed) return std::unexpected(parsed.error());
        client_ = std::make_unique<client::DockerClient>(*parsed);
    }
    return client_.get();
}

}  // namespace berth::cli
