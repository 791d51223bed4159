// A client of the Docker Engine API over a unix socket or TCP: JSON calls, streamed responses
// (logs -f, events, stats, save), streamed request bodies (load, import, cp) and hijacked
// connections (attach, exec start). Works against berthd and dockerd alike.
//
// Each call opens its own connection (a CLI makes few calls; no pool to manage). The API version
// is negotiated on the first call, as docker's CLI does: GET /_ping, then min(ours, server's)
// prefixes every path ("/v1.41/containers/json").
#pragma once

#include <compare>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/json.h"
#include "base/unique_fd.h"
#include "client/daemon_host.h"
#include "client/tls_client.h"
#include "tls/tls_bridge.h"

namespace berth::client {

namespace detail {
struct Connection;  // one socket to the daemon, with the bytes read past the last message
}

inline constexpr std::string_view kClientApiVersion = "1.47";

struct ApiVersion {
    int major = 1;
    int minor = 47;
    std::string str() const { return std::to_string(major) + "." + std::to_string(minor); }
    auto operator<=>(const ApiVersion&) const = default;
};

std::optional<ApiVersion> parse_api_version(std::string_view text);
// The version to speak: ours capped at the server's; a server that says nothing gets 1.24, the
// oldest docker's CLI assumes.
ApiVersion negotiate_version(ApiVersion ours, std::optional<ApiVersion> server);

// Percent-encodes a query value or path segment.
std::string url_escape(std::string_view text);

// "?a=1&b=x%2Fy", or "" without parameters.
class Query {
  public:
    Query& add(std::string_view key, std::string_view value);
    Query& add_if(bool condition, std::string_view key, std::string_view value) {
        return condition ? add(key, value) : *this;
    }
    std::string str() const { return text_.empty() ? "" : "?" + text_; }

  private:
    std::string text_;
};

struct Response {
    unsigned status = 0;
    std::string body;
    std::string path_stat;  // X-Docker-Container-Path-Stat (HEAD /containers/{id}/archive)
    std::optional<ApiVersion> api_version;  // the daemon's Api-Version header
    // 304 Not Modified (stop of a stopped container, start of a started one) is success too.
    bool ok() const { return (status >= 200 && status < 300) || status == 304; }
};

// The error a daemon's non-2xx answer means: kind from the status, message
// "Error response from daemon: <message>" from its {"message": ...} body.
Error daemon_error(unsigned status, std::string_view body);

// A response body being read as it arrives. Owns its connection.
class BodyReader {
  public:
    virtual ~BodyReader() = default;
    // Up to `size` bytes; 0 at the end of the body.
    virtual Result<size_t> read_some(char* data, size_t size) = 0;
    // The next newline-ended line without its newline (a last line without one too); nullopt at
    // the end.
    Result<std::optional<std::string>> read_line();

  private:
    std::string pending_;
    bool ended_ = false;
};

// A connection the daemon has handed over for raw bytes both ways (attach, exec start). `fd` is
// a connected stream socket either way: the daemon's own, or over TLS one end of a socketpair
// that `bridge` carries through the TLS session `tls` on `socket` (shutdown(SHUT_WR) becomes
// close_notify). Closing `fd` ends the bridge. Members go in reverse order: fd, then the bridge
// (its destructor waits for the pump), then the socket and the session it used.
struct Hijacked {
    std::unique_ptr<TlsSession> tls;
    UniqueFd socket;
    std::unique_ptr<tls::TlsBridge> bridge;
    UniqueFd fd;
    std::string leftover;  // stream bytes that arrived with the response head
};

// A request sent whose answer is read later: `wait` is sent before `start`, and its response head
// says the daemon has registered the waiter (dockerd flushes it at once).
class PendingCall {
  public:
    virtual ~PendingCall() = default;
    // Waits up to `timeout_ms` for the response head; false when it has not come yet.
    virtual Result<bool> head_arrived(int timeout_ms) = 0;
    // The whole response (blocks until the daemon answers).
    virtual Result<Response> finish() = 0;
};

class DockerClient {
  public:
    // `product` names the daemon in the "cannot connect" message ("berth"). With `tls`, TCP
    // connections speak TLS (unix sockets never do).
    explicit DockerClient(DaemonHost host, std::string product = "berth",
                          std::shared_ptr<const TlsClientContext> tls = nullptr);
    ~DockerClient();
    DockerClient(const DockerClient&) = delete;
    DockerClient& operator=(const DockerClient&) = delete;

    const DaemonHost& host() const { return host_; }
    // The negotiated version, negotiating first if needed.
    Result<ApiVersion> api_version();

    // One request with an optional body; the response whatever its status.
    Result<Response> request(std::string_view method, std::string_view path,
                             const std::optional<std::string>& body = std::nullopt,
                             std::string_view content_type = "application/json");
    // A request whose non-2xx answer is an error; the body parsed as JSON (null when empty).
    Result<Json> call(std::string_view method, std::string_view path,
                      const std::optional<Json>& body = std::nullopt);

    // A request whose response body is read as it arrives. `upload_fd`, when >= 0, is sent as
    // the request body (chunked, until EOF) with `content_type`.
    Result<std::unique_ptr<BodyReader>> stream(std::string_view method, std::string_view path,
                                               std::optional<std::string> body = std::nullopt,
                                               int upload_fd = -1,
                                               std::string_view content_type = "application/json");

    // Sends a request now; its answer is read later through the PendingCall.
    Result<std::unique_ptr<PendingCall>> begin(std::string_view method, std::string_view path,
                                               std::optional<std::string> body = std::nullopt);

    // POST with Upgrade: tcp; expects 101 (or 200, as old daemons answer).
    Result<Hijacked> hijack(std::string_view path,
                            const std::optional<std::string>& body = std::nullopt);

  private:
    Result<Response> send_request(std::string_view method, const std::string& target,
                                  const std::optional<std::string>& body,
                                  std::string_view content_type);
    Result<std::unique_ptr<detail::Connection>> connect();
    Result<std::string> versioned(std::string_view path);
    Error cannot_connect() const;

    DaemonHost host_;
    std::string product_;
    std::shared_ptr<const TlsClientContext> tls_;
    std::optional<ApiVersion> version_;
};

}  // namespace berth::client
