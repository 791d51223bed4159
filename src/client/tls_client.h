// TLS for the client side, as docker's CLI does it: the settings from --tls/--tlsverify, the
// --tlscacert/--tlscert/--tlskey files and the environment; a client context from them; one TLS
// session over a connected TCP socket (server verified against the CA and the daemon's host name
// or address with --tlsverify, client certificate sent when given). A hijacked connection
// (attach, exec) goes on as a plain socket through base/tls_bridge.h.
//
// Why OpenSSL directly and not asio::ssl::stream (as on the server, src/api/tls.h): the bridge
// needs non-blocking reads and writes under one poll loop and a close_notify that does not wait
// for the peer's (the half-close of stdin); with our own socket BIO both are a few lines. The BIO
// also sends with MSG_NOSIGNAL (a daemon that hangs up must not kill the CLI with SIGPIPE) and
// keeps the first bytes the daemon sent, so a plain-HTTP answer to our handshake can be named.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX and SSL, kept out of this header
struct ssl_st;

namespace berth::client {

// What to connect with: nullopt (plain) or these.
struct TlsConfig {
    bool verify = false;    // --tlsverify: check the daemon's certificate against ca_file + host
    std::string ca_file;    // used only with verify
    std::string cert_file;  // client certificate; empty: none is sent
    std::string key_file;   // its key; empty: none
    bool operator==(const TlsConfig&) const = default;
};

// The TLS flags as given on the command line: a value is set only when its flag was given.
struct TlsFlags {
    bool tls = false;                 // --tls
    std::optional<bool> verify;       // --tlsverify[=false]
    std::optional<std::string> ca;    // --tlscacert
    std::optional<std::string> cert;  // --tlscert
    std::optional<std::string> key;   // --tlskey
};

// docker's rules: TLS when --tls, --tlsverify or DOCKER_TLS/DOCKER_TLS_VERIFY (any non-empty
// value; BERTH_TLS/BERTH_TLS_VERIFY first); verify when --tlsverify, else when the environment
// says so; files default to ca.pem, cert.pem and key.pem in BERTH_CERT_PATH, DOCKER_CERT_PATH,
// DOCKER_CONFIG or ~/.docker, a default certificate or key being left out when it does not
// exist. Pure: `env` returns a variable's value ("" when unset), `exists` tells whether a file
// does, `home` is the user's home directory.
std::optional<TlsConfig> choose_tls_config(const TlsFlags& flags,
                                           const std::function<std::string(const char*)>& env,
                                           const std::function<bool(const std::string&)>& exists,
                                           const std::string& home);

// A client SSL_CTX: TLS 1.2 or newer, the CA (only it, not the system's) with verify, the client
// certificate when given. Errors name the file that could not be read or used.
class TlsClientContext {
  public:
    static Result<std::shared_ptr<const TlsClientContext>> create(const TlsConfig& config);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    ssl_ctx_st* get() const { return ctx_; }
    const TlsConfig& config() const { return config_; }

  private:
    TlsClientContext(ssl_ctx_st* ctx, TlsConfig config) : ctx_(ctx), config_(std::move(config)) {}
    ssl_ctx_st* ctx_;
    TlsConfig config_;
};

struct TlsSessionState;  // the BIO's view of the socket

// One TLS session over a connected socket it does not own (the caller keeps the fd open as long
// as the session lives). Blocking while the socket is; used by one thread at a time.
class TlsSession {
  public:
    // Runs the handshake. `host` is the name or address the daemon was asked for (verified
    // against its certificate with verify; sent as SNI when a name); `address` is how errors
    // name the daemon ("tcp://10.0.0.5:2376").
    static Result<std::unique_ptr<TlsSession>> connect(const TlsClientContext& context, int fd,
                                                       const std::string& host,
                                                       const std::string& address);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    // Up to `size` bytes; 0 at the end of the stream (close_notify, or the daemon hung up).
    Result<size_t> read(char* data, size_t size);
    // All of it, or an error.
    Result<void> write(const char* data, size_t size);
    // Decrypted bytes are waiting: a read will not block.
    bool pending() const;
    int fd() const;
    // For a TlsBridge, which then is the only user until it has ended.
    ssl_st* ssl() const { return ssl_; }

  private:
    TlsSession(ssl_st* ssl, std::unique_ptr<TlsSessionState> state, const TlsClientContext& context,
               std::string host, std::string address);
    // The error of a failed handshake, read or write, in words a user can act on.
    Error error(int result, std::string_view what);

    ssl_st* ssl_;
    std::unique_ptr<TlsSessionState> state_;
    bool verify_;
    bool sends_certificate_;
    std::string host_, address_;
};

}  // namespace berth::client
