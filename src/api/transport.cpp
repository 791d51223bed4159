#include "api/transport.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <chrono>

#include "tls/tls_bridge.h"

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// A lingering close reads what the client still sends for at most this long, and this much.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 64 << 20;

beast::error_code errno_code(int err) {
    return beast::error_code(err, boost::system::system_category());
}

beast::error_code error_code_of(const Error& error) {
    return errno_code(error.sys_errno() ? error.sys_errno() : EPROTO);
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return;
    int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    if (wanted != flags) (void)::fcntl(fd, F_SETFL, wanted);
}

// After shutdown(SHUT_WR): drops what the client still sends until it closes or time is up.
void discard_until_closed(int fd) {
    auto deadline = std::chrono::steady_clock::now() + kLingerTime;
    size_t dropped = 0;
    char scratch[16384];
    while (dropped < kLingerBytes) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd p{fd, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return;
        ssize_t n = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) return;
        dropped += static_cast<size_t>(n);
    }
}

size_t recv_some(int fd, char* data, size_t size, int flags, beast::error_code& ec) {
    for (;;) {
        ssize_t n = ::recv(fd, data, size, flags);
        if (n > 0) return static_cast<size_t>(n);
        if (n == 0) {
            ec = asio::error::eof;
            return 0;
        }
        if (errno == EINTR) continue;
        ec = errno_code(errno);
        return 0;
    }
}

class PlainTransport final : public Transport {
  public:
    explicit PlainTransport(UniqueFd fd) : Transport(fd.get()), fd_(std::move(fd)) {}

    size_t try_read(char* data, size_t size, IoWait& wait, beast::error_code& ec) override {
        wait = IoWait::None;
        size_t n = recv_some(fd_.get(), data, size, MSG_DONTWAIT, ec);
        if (ec == beast::errc::resource_unavailable_try_again ||
            ec == beast::errc::operation_would_block) {
            ec = {};
            wait = IoWait::Readable;
        }
        return count(n);
    }
    // The socket stays blocking: the event loop reads with MSG_DONTWAIT, and a hijacked socket
    // goes to its new owner as it came.
    void set_blocking(bool) override {}
    size_t read_some(char* data, size_t size, beast::error_code& ec) override {
        return count(recv_some(fd_.get(), data, size, 0, ec));
    }
    size_t write_some(const char* data, size_t size, beast::error_code& ec) override {
        for (;;) {
            ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
            if (n >= 0) return count(static_cast<size_t>(n));
            if (errno == EINTR) continue;
            ec = errno_code(errno);
            return 0;
        }
    }
    void try_write(std::string_view data) override {
        (void)::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    Result<HijackedConnection> hijack(std::string buffered) override {
        return HijackedConnection{std::move(fd_), std::move(buffered), false};
    }
    void close(bool linger) override {
        if (!fd_) return;
        if (linger) {
            ::shutdown(fd_.get(), SHUT_WR);
            discard_until_closed(fd_.get());
        }
        ::shutdown(fd_.get(), SHUT_RDWR);
        fd_.reset();
    }

  private:
    UniqueFd fd_;
};

class TlsTransport final : public Transport {
  public:
    explicit TlsTransport(std::unique_ptr<TlsConnection> connection)
        : Transport(connection->fd()), connection_(std::move(connection)) {}

    Result<IoWait> handshake() override {
        if (handshake_done_) return IoWait::None;
        IoWait wait = TRY(connection_->handshake());
        handshake_done_ = wait == IoWait::None;
        return wait;
    }
    size_t try_read(char* data, size_t size, IoWait& wait, beast::error_code& ec) override {
        auto n = connection_->try_read(data, size, wait);
        if (!n)
            ec = error_code_of(n.error());
        else if (*n == 0 && wait == IoWait::None)
            ec = asio::error::eof;
        return count(n.value_or(0));
    }
    void set_blocking(bool blocking) override { set_nonblocking(connection_->fd(), !blocking); }
    size_t read_some(char* data, size_t size, beast::error_code& ec) override {
        auto n = connection_->read(data, size);
        if (!n)
            ec = error_code_of(n.error());
        else if (*n == 0)
            ec = asio::error::eof;
        return count(n.value_or(0));
    }
    size_t write_some(const char* data, size_t size, beast::error_code& ec) override {
        auto n = connection_->write(data, size);
        if (!n) ec = error_code_of(n.error());
        return count(n.value_or(0));
    }
    void try_write(std::string_view data) override {
        if (handshake_done_) (void)connection_->write(data.data(), data.size());
    }
    Result<HijackedConnection> hijack(std::string buffered) override {
        // berthd's side: a client that vanishes, or a local side that does while the client's
        // bytes wait for it, ends the stream at once (the default options).
        auto [bridge, fd] = TRY(tls::TlsBridge::start(connection_->ssl(), connection_->fd()));
        bridge_ = std::move(bridge);
        return HijackedConnection{std::move(fd), std::move(buffered), true};
    }
    void wait_hijacked() override {
        if (bridge_) bridge_->wait();
    }
    void close(bool linger) override {
        if (!connection_ || bridge_) return;  // after a hijack the bridge ends the connection
        if (handshake_done_) connection_->send_close_notify();
        if (linger) {
            // Past close_notify the client's records are only dropped: no need to decrypt them.
            ::shutdown(connection_->fd(), SHUT_WR);
            discard_until_closed(connection_->fd());
        }
        ::shutdown(connection_->fd(), SHUT_RDWR);
        connection_.reset();
    }

  private:
    std::unique_ptr<TlsConnection> connection_;
    std::unique_ptr<tls::TlsBridge> bridge_;  // after a hijack: uses connection_, destroyed first
    bool handshake_done_ = false;
};

}  // namespace

Result<std::unique_ptr<Transport>> Transport::make(UniqueFd fd, const TlsContext* tls) {
    if (!tls) return std::unique_ptr<Transport>(std::make_unique<PlainTransport>(std::move(fd)));
    set_nonblocking(fd.get(), true);
    auto connection = TRY(TlsConnection::start(*tls, std::move(fd)));
    return std::unique_ptr<Transport>(std::make_unique<TlsTransport>(std::move(connection)));
}

}  // namespace berth::api
