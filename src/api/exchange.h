// Exchange: one request and its response, as a handler sees them. The HTTP server implements it
// over a connection; tests implement it in memory.
//
// Contract: a handler reads the body (if it wants it) with read_body, then either calls respond
// once, or begin_stream, any number of write calls and end_stream. A handler that returns an
// error before responding gets docker's error response; after begin_stream the connection is
// dropped instead (the status line has gone). hijack() takes the raw connection for the
// attach/exec protocols (101 Upgrade: tcp), after which the server no longer reads or writes it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "api/request.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

// A connection taken over by hijack(). `fd` is always a connected stream socket carrying the
// raw protocol both ways: read, write, poll, shutdown(SHUT_WR) for a half-close, or pass it to
// another process (SCM_RIGHTS), whatever kind of connection the client made:
//  * plain connections (unix sockets, tcp without TLS): `fd` is the client's socket itself, and
//    outlives berthd in whoever holds it;
//  * TLS connections (`bridged`): `fd` is one end of a socketpair. A server thread pumps bytes
//    between its other end and the TLS stream until both directions are closed; close_notify
//    from the client arrives as EOF, and shutdown(fd, SHUT_WR) goes out as close_notify. The
//    stream lives as long as berthd: stopping the server ends it.
// Bytes the server had read past the request header are in `buffered`: they come first.
struct HijackedConnection {
    UniqueFd fd;
    std::string buffered;
    bool bridged = false;
};

class Exchange {
  public:
    virtual ~Exchange() = default;

    Request& request() { return request_; }
    const Request& request() const { return request_; }
    bool responded() const { return responded_; }

    // Up to `size` bytes of the request body (chunked or Content-Length, decoded); 0 at its end.
    virtual Result<size_t> read_body(char* buffer, size_t size) = 0;
    // A complete response. For HEAD requests the body is counted but not sent.
    virtual Result<void> respond(int status, std::string_view content_type, std::string_view body,
                                 const Fields& headers = {}) = 0;
    // A streamed response (chunked transfer encoding).
    virtual Result<void> begin_stream(int status, std::string_view content_type,
                                      const Fields& headers = {}) = 0;
    virtual Result<void> write(std::string_view data) = 0;
    virtual Result<void> end_stream() = 0;
    // Sends `response_head` (a full status line and headers, e.g. 101 Upgrade) and hands over
    // the connection.
    virtual Result<HijackedConnection> hijack(std::string_view response_head) = 0;
    // The client's socket, for a handler that waits long (events, logs -f) to notice a client
    // that left: a client sends nothing more during such a request, so the socket polls
    // readable (or POLLRDHUP) once it hangs up. -1 when there is none.
    virtual int hangup_fd() const { return -1; }

  protected:
    Request request_;
    bool responded_ = false;
};

}  // namespace berth::api
