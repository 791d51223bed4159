// One client connection of the API server: HTTP/1.1 with keep-alive, in two phases that
// alternate (http_server.h):
//  * waiting, in the server's event loop: advance() does what needs no thread — the TLS
//    handshake, reading a request header as its bytes come — and says what to wait for, so an
//    idle or slow client costs a socket and a few hundred bytes, never a thread;
//  * serving, on a worker thread: serve() answers the request whose header has come (and those
//    that came right behind it) with blocking reads and writes, and hands the connection back
//    when it is idle again, or ends it, or lets a handler hijack it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/router.h"
#include "api/tls.h"
#include "base/unique_fd.h"

namespace berth::api {

struct ConnectionHooks {
    // Called once per request when set: "GET /v1.47/images/json 200 1.3ms".
    std::function<void(const std::string&)> log_request;
    // Called when the connection lets go of its fd (about to close it, or hijacked): the server
    // forgets the fd under its lock, so a concurrent stop() never shuts down a reused number.
    // For a TLS connection that is hijacked, that is once the bridge has finished.
    std::function<void()> releasing;
    // Connections that fail before any request (a TLS handshake): "TLS handshake: …".
    std::function<void(const std::string&)> log_error;
};

class HttpConnection {
  public:
    // Takes `fd` (a connected stream socket); `tls` null: plain HTTP.
    static Result<std::unique_ptr<HttpConnection>> accept(UniqueFd fd, const TlsContext* tls);
    ~HttpConnection();
    HttpConnection(const HttpConnection&) = delete;
    HttpConnection& operator=(const HttpConnection&) = delete;

    int fd() const;

    enum class Next {
        WaitReadable,  // call advance() again when the socket is readable
        WaitWritable,  // ... writable (a TLS handshake may want to write)
        Serve,         // a request header is complete, or malformed: serve() answers it
        Close,         // the client went away, or its handshake failed: destroy it
    };
    // Without blocking. A failed TLS handshake is reported to hooks.log_error.
    Next advance(const ConnectionHooks& hooks);
    // The TLS handshake is not done yet.
    bool handshaking() const;
    // Nothing of a next request has come yet: a keep-alive connection at rest, as opposed to a
    // handshake or a header under way.
    bool idle() const;

    enum class Outcome {
        Idle,      // waiting for the next request: back to advance()
        Closed,    // the connection has ended
        Hijacked,  // a handler took it (and, for TLS, its bridge has finished)
    };
    // Blocking; after advance() said Serve.
    Outcome serve(const Router& router, const ConnectionHooks& hooks);
    // When no thread can serve it: a 503 naming `why` (best effort, without blocking), then the
    // connection ends.
    void refuse(std::string_view why);

  private:
    struct State;
    explicit HttpConnection(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// Serves `fd` on the calling thread until the client closes it, asks for Connection: close, a
// request fails mid-stream, or a handler hijacks it (waiting with poll where the server would
// park it). Ownership of `fd` is taken. For tests and fuzzing; the server uses HttpConnection.
void serve_connection(int fd, const TlsContext* tls, const Router& router,
                      const ConnectionHooks& hooks);

}  // namespace berth::api
