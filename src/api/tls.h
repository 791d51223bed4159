// TLS for the API server, on OpenSSL with the socket itself as the BIO: a server context from
// PEM files and one TLS connection. The server's event loop runs the handshake and reads request
// headers without blocking (the socket is O_NONBLOCK then); a worker thread serves requests with
// blocking reads and writes. A hijacked connection (attach, exec) goes on as a plain socket
// through base/tls_bridge.h.
//
// Why OpenSSL directly and not asio::ssl::stream: the bridge and the event loop need
// non-blocking reads and writes under their own poll, and a close_notify that never waits for
// the peer's; with the socket as the BIO each is a few lines.
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

// What a non-blocking step waits for before it can go on.
enum class IoWait { None, Readable, Writable };

// One server-side TLS connection over a connected socket it owns; used by one thread at a time
// (OpenSSL objects are not safe for concurrent reads and writes). Its reads and writes block or
// not as the socket does.
class TlsConnection {
  public:
    // A connection whose handshake is still to run (handshake()).
    static Result<std::unique_ptr<TlsConnection>> start(const TlsContext& context, UniqueFd fd);
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    // Runs the handshake as far as the socket allows: None once it is done, else what to wait
    // for. Fails for a client without a valid certificate when the context verifies clients.
    Result<IoWait> handshake();
    // Up to `size` bytes; 0 at the end of the stream (close_notify, or the peer closed).
    Result<size_t> read(char* data, size_t size);
    // As read() on a non-blocking socket: `wait` is set (and 0 returned) when nothing could be
    // read yet. Decrypted bytes OpenSSL holds are returned before the socket is asked.
    Result<size_t> try_read(char* data, size_t size, IoWait& wait);
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
