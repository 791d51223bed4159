// TLS for the API server, on OpenSSL with the socket itself as the BIO: a server context from
// PEM files, one blocking TLS connection for the HTTP phase, and a bridge that turns a hijacked
// TLS connection into a plain socket (a socketpair end) for attach/exec.
//
// Why OpenSSL directly and not asio::ssl::stream: the bridge needs non-blocking reads and writes
// under one poll loop, and a close_notify that never waits for the peer's; with the socket as
// the BIO both are a few lines, and a blocking handshake can be bounded with SO_RCVTIMEO.
#pragma once

#include <memory>
#include <string>
#include <thread>
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

  private:
    friend class TlsBridge;
    TlsConnection(ssl_st* ssl, UniqueFd fd) : ssl_(ssl), fd_(std::move(fd)) {}
    ssl_st* ssl_;
    UniqueFd fd_;
    bool close_notify_sent_ = false;
    bool failed_ = false;  // a fatal error happened: no close_notify may follow
};

// Serves a hijacked TLS connection as a plain socket. start() returns one end of a socketpair;
// a thread pumps bytes between the other end and the TLS connection, in both directions, until
// both are closed or either side fails. Half-closes pass through: close_notify from the client
// becomes EOF on the socket, and shutdown(SHUT_WR) on the socket becomes close_notify.
//
// The socket end behaves like the client's own socket would (read, write, poll, shutdown, pass
// it to another process), but the bytes go through this process: the stream ends when berthd
// does. The destructor waits for the pump; shutting down the TLS socket (connection_fd) ends it.
class TlsBridge {
  public:
    static Result<std::pair<std::unique_ptr<TlsBridge>, UniqueFd>> start(
        std::unique_ptr<TlsConnection> connection);
    ~TlsBridge();
    TlsBridge(const TlsBridge&) = delete;
    TlsBridge& operator=(const TlsBridge&) = delete;

    void wait();
    int connection_fd() const { return connection_->fd(); }

  private:
    TlsBridge(std::unique_ptr<TlsConnection> connection, UniqueFd local)
        : connection_(std::move(connection)), local_(std::move(local)) {}
    void pump();

    std::unique_ptr<TlsConnection> connection_;
    UniqueFd local_;  // the pump's end of the socketpair
    std::thread thread_;
};

}  // namespace berth::api
