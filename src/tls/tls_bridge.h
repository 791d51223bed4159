// A hijacked TLS connection (attach, exec) served as a plain socket, for both ends of the API:
// berthd's side of a client's connection (src/api/tls.h) and the CLI's side of the daemon's
// (src/client/tls_client.h).
//
// start() returns one end of a socketpair; a thread pumps bytes between the other end and the
// TLS session, both ways, with non-blocking reads and writes under one poll loop. The returned
// socket behaves like the peer's own socket would (read, write, poll, shutdown, hand it to
// another process), but the bytes go through this process.
//
// Half-closes travel both ways: the peer's close_notify becomes end of file on the returned
// socket (shutdown(SHUT_WR) of the pump's end), and shutdown(SHUT_WR) on the returned socket
// becomes close_notify (sent once, never waiting for the peer's) followed by SHUT_WR of the TCP
// socket. The pump ends when both directions are closed, or as TlsBridgeOptions say; at the end
// it shuts both sockets down entirely, so whoever still reads sees end of file.
//
// Ownership and threads: the bridge owns its end of the socketpair and its thread, nothing else.
// The SSL session (handshake done) and the connected socket under it stay the caller's: they
// must outlive the bridge, and from start() until wait() returns only the pump may use them (an
// SSL object is not safe for concurrent use). The socket is made non-blocking. The destructor
// waits for the pump; shutting down the TCP socket ends it.
#pragma once

#include <memory>
#include <thread>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

struct ssl_st;  // OpenSSL's SSL, kept out of this header

namespace berth::tls {

struct TlsBridgeOptions {
    // A peer that hangs up without close_notify (a TCP end of file) ends its direction as
    // close_notify would. The CLI's choice: a daemon may just hang up, and the framing above
    // tells a cut-off stream from a whole one. Otherwise such a cut is an error that ends the
    // bridge at once (berthd: a vanished client takes the stream with it).
    bool peer_hangup_ends = false;
    // The returned socket closed entirely (not only shut down for writing) ends the bridge: the
    // peer is no longer read, what the socket wrote is still sent, then close_notify, waiting at
    // most `drain_timeout_ms` for a peer that does not take them. The CLI's choice (a detached
    // attach). Otherwise a local side that vanishes while the peer's bytes wait for it is an
    // error that ends the bridge at once.
    bool local_close_ends = false;
    int drain_timeout_ms = 2000;
};

class TlsBridge {
  public:
    static Result<std::pair<std::unique_ptr<TlsBridge>, UniqueFd>> start(
        ssl_st* ssl, int remote, const TlsBridgeOptions& options = {});
    ~TlsBridge();
    TlsBridge(const TlsBridge&) = delete;
    TlsBridge& operator=(const TlsBridge&) = delete;

    // Returns when the pump has ended.
    void wait();
    // After wait(): the stream was cut (a TLS or socket error, a side gone, the drain timeout)
    // rather than ended by closes both ways (or, with local_close_ends, by the local close).
    bool failed() const { return failed_; }

  private:
    TlsBridge(ssl_st* ssl, int remote, UniqueFd local, const TlsBridgeOptions& options)
        : ssl_(ssl), remote_(remote), local_(std::move(local)), options_(options) {}
    void pump();

    ssl_st* ssl_;
    int remote_;      // the connected socket under ssl_
    UniqueFd local_;  // the pump's end of the socketpair
    TlsBridgeOptions options_;
    bool failed_ = false;
    std::thread thread_;
};

}  // namespace berth::tls
