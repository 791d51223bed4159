// The bytes under one HTTP connection of the API server: the socket itself, or TLS over it.
// Used in two modes that alternate (http_connection.h): the server's event loop reads without
// blocking (try_read, the TLS handshake), a worker thread reads and writes blocking. Errors come
// as error codes because Beast wants them so; the end of the stream is asio::error::eof.
#pragma once

#include <boost/beast/core/error.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/exchange.h"
#include "api/tls.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

class Transport {
  public:
    // `tls` null: plain. Starts in the event loop's mode (non-blocking reads).
    static Result<std::unique_ptr<Transport>> make(UniqueFd fd, const TlsContext* tls);
    virtual ~Transport() = default;

    int fd() const { return fd_; }
    // The TLS handshake as far as it goes without blocking; None when done (or plain).
    virtual Result<IoWait> handshake() { return IoWait::None; }
    // Non-blocking: bytes read, or 0 with `wait` set, or 0 with `ec` (eof at the end).
    virtual size_t try_read(char* data, size_t size, IoWait& wait,
                            boost::beast::error_code& ec) = 0;
    // Between the event loop (false) and a worker (true).
    virtual void set_blocking(bool blocking) = 0;
    // Blocking, for a worker.
    virtual size_t read_some(char* data, size_t size, boost::beast::error_code& ec) = 0;
    virtual size_t write_some(const char* data, size_t size, boost::beast::error_code& ec) = 0;
    // Non-blocking and best effort: a last word before close().
    virtual void try_write(std::string_view data) = 0;
    // Hands the connection over (exchange.h: HijackedConnection). Nothing is read or written
    // through this object afterwards.
    virtual Result<HijackedConnection> hijack(std::string buffered) = 0;
    // After a hijack: waits for whatever still serves the connection.
    virtual void wait_hijacked() {}
    // Ends a connection that was not hijacked. `linger`: the client may still be sending a body
    // nobody read; the write side is shut first and its bytes are read and dropped for a moment,
    // so that it gets the response instead of a reset (a "broken pipe" on its write).
    virtual void close(bool linger) = 0;
    // Bytes read and written so far, hijacked streams not included.
    uint64_t bytes_moved() const { return moved_; }

  protected:
    explicit Transport(int fd) : fd_(fd) {}
    size_t count(size_t n) {
        moved_ += n;
        return n;
    }

  private:
    int fd_;
    uint64_t moved_ = 0;
};

}  // namespace berth::api
