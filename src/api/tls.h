// TLS for the API server, on OpenSSL with the socket itself as the BIO: a server context from
// PEM files and one blocking TLS connection for the HTTP phase. A hijacked connection (attach,
// exec) goes on as a plain socket through base/tls_bridge.h.
//
// Why OpenSSL directly and not asio::ssl::stream: the bridge needs non-blocking reads and writes
// under one poll loop, and a close_notify that never waits for the peer's; with the socket as
// the BIO both are a few lines, and a blocking handshake can be bounded with SO_RCVTIMEO.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX and SSL, kept out of this header
struct ssl_st;

namespace berth::api {

struct TlsOptions {
    std::string ca_file;    // with verify_clients: the only CA client certificates may chain to
    std::string cert_file;  // the server's certificate (chain), PEM
    std::string key_file;   // its private key, PEM
    bool verify_clients = false;
};

// An SSL_CTX for the server side: TLS 1.2 or newer, no renegotiation. Shared by every
// connection of a listener; OpenSSL makes a context safe to use from many threads.
class TlsContext {
  public:
    static Result<std::shared_ptr<const TlsContext>> create(const TlsOptions& options);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    ssl_ctx_st* get() const { return ctx_; }
    bool verify_clients() const { return verify_clients_; }

  private:
    TlsContext(ssl_ctx_st* ctx, bool verify) : ctx_(ctx), verify_clients_(verify) {}
    ssl_ctx_st* ctx_;
    bool verify_clients_;
};

// One server-side TLS connection over a connected socket it owns. Blocking; used by one thread
// at a time (OpenSSL objects are not safe for concurrent reads and writes).
class TlsConnection {
  public:
    // Runs the handshake, which fails for a client without a valid certificate when the context
    // verifies clients. A client that stays silent for 10 s is dropped. The connection takes
    // `fd` when the handshake succeeds; on failure it is left to the caller.
    static Result<std::unique_ptr<TlsConnection>> accept(const TlsContext& context, UniqueFd& fd);
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    // Up to `size` bytes; 0 at the end of the stream (close_notify, or the peer closed).
    Result<size_t> read(char* data, size_t size);
    // Writes all of it (or fails).
    Result<size_t> write(const char* data, size_t size);
    // Sends close_notify once, without waiting for the peer's (best effort).
    void send_close_notify();
    int fd() const { return fd_.get(); }
    // For a TlsBridge, which then is the only user until it has ended.
    ssl_st* ssl() const { return ssl_; }

  private:
    TlsConnection(ssl_st* ssl, UniqueFd fd) : ssl_(ssl), fd_(std::move(fd)) {}
    ssl_st* ssl_;
    UniqueFd fd_;
    bool close_notify_sent_ = false;
    bool failed_ = false;  // a fatal error happened: no close_notify may follow
};

}  // namespace berth::api
