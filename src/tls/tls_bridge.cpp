#include "tls/tls_bridge.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

namespace berth::tls {
namespace {

// The peer closed the TCP connection without close_notify: OpenSSL 3 says so with a reason, 1.1
// with a syscall error and the BIO at end of file.
bool is_hangup(SSL* ssl, int error) {
    if (error == SSL_ERROR_SYSCALL) return BIO_eof(SSL_get_rbio(ssl)) == 1;
    return error == SSL_ERROR_SSL &&
           ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

}  // namespace

Result<std::pair<std::unique_ptr<TlsBridge>, UniqueFd>> TlsBridge::start(
    ssl_st* ssl, int remote, const TlsBridgeOptions& options) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return fail_errno("socketpair for a hijacked TLS connection");
    UniqueFd local(pair[0]), handed(pair[1]);
    if (::fcntl(remote, F_SETFL, ::fcntl(remote, F_GETFL) | O_NONBLOCK) != 0 ||
        ::fcntl(local.get(), F_SETFL, O_NONBLOCK) != 0)
        return fail_errno("make a hijacked TLS connection non-blocking");
    std::unique_ptr<TlsBridge> bridge(new TlsBridge(ssl, remote, std::move(local), options));
    bridge->thread_ = std::thread([raw = bridge.get()] { raw->pump(); });
    return std::pair{std::move(bridge), std::move(handed)};
}

TlsBridge::~TlsBridge() {
    wait();
}

void TlsBridge::wait() {
    if (thread_.joinable()) thread_.join();
}

// One loop does everything it can without blocking, then polls for what it waits on. Each
// direction holds one buffer at a time, so a write that wants retrying (SSL_write's rule: the
// same bytes again) always finds them unchanged.
void TlsBridge::pump() {
    SSL* ssl = ssl_;
    int remote = remote_;
    int local = local_.get();
    std::array<char, 16384> inbound{}, outbound{};  // remote → local, local → remote
    size_t in_start = 0, in_end = 0, out_start = 0, out_end = 0;
    bool remote_eof = false;  // the peer's close_notify (or hang-up): nothing more to read
    bool local_eof = false;   // the local side shut down its writing (or closed)
    bool local_shut = false;  // the peer's end passed on as SHUT_WR
    bool local_gone = false;  // local_close_ends: the local side closed, nobody reads any more
    bool peer_gone = false;   // peer_hangup_ends: it hung up, so no close_notify can follow
    bool close_notify_sent = false;  // or not wanted
    bool fatal = false;
    bool clean = false;
    for (;;) {
        bool progress = false;
        short remote_events = 0, local_events = 0;
        auto want = [&](int error) {
            if (error == SSL_ERROR_WANT_READ)
                remote_events |= POLLIN;
            else if (error == SSL_ERROR_WANT_WRITE)
                remote_events |= POLLOUT;
            else
                fatal = true;
        };
        if (!remote_eof && !local_gone && in_start == in_end) {
            ERR_clear_error();
            errno = 0;
            int n = SSL_read(ssl, inbound.data(), static_cast<int>(inbound.size()));
            if (n > 0) {
                in_start = 0;
                in_end = static_cast<size_t>(n);
                progress = true;
            } else {
                int error = SSL_get_error(ssl, n);
                if (error == SSL_ERROR_ZERO_RETURN ||
                    (options_.peer_hangup_ends && is_hangup(ssl, error))) {
                    peer_gone = error != SSL_ERROR_ZERO_RETURN;
                    ERR_clear_error();
                    remote_eof = true;
                    progress = true;
                } else {
                    want(error);
                }
            }
        }
        if (fatal) break;
        if (in_start < in_end) {
            ssize_t n = ::send(local, inbound.data() + in_start, in_end - in_start, MSG_NOSIGNAL);
            if (n > 0) {
                in_start += static_cast<size_t>(n);
                progress = true;
            } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                local_events |= POLLOUT;
            } else if (options_.local_close_ends) {
                local_gone = true;  // nobody takes the peer's bytes any more
                in_start = in_end = 0;
                progress = true;
            } else {
                fatal = true;
            }
        } else if (remote_eof && !local_shut) {
            ::shutdown(local, SHUT_WR);
            local_shut = true;
            progress = true;
        }
        if (fatal) break;
        if (!local_eof && out_start == out_end) {
            ssize_t n = ::recv(local, outbound.data(), outbound.size(), 0);
            if (n > 0) {
                out_start = 0;
                out_end = static_cast<size_t>(n);
                progress = true;
            } else if (n == 0) {
                local_eof = true;
                progress = true;
            } else if (errno == EAGAIN || errno == EINTR) {
                local_events |= POLLIN;
            } else if (options_.local_close_ends) {
                local_eof = local_gone = true;
                progress = true;
            } else {
                fatal = true;
            }
        }
        if (fatal) break;
        if (out_start < out_end) {
            ERR_clear_error();
            int n =
                SSL_write(ssl, outbound.data() + out_start, static_cast<int>(out_end - out_start));
            if (n > 0) {
                out_start += static_cast<size_t>(n);
                progress = true;
            } else {
                want(SSL_get_error(ssl, n));
            }
        } else if (local_eof && !close_notify_sent) {
            // Sends close_notify without waiting for the peer's; retried while the socket is full.
            // OpenSSL counts a hang-up as a fatal error, after which SSL_shutdown must not run.
            ERR_clear_error();
            int n = peer_gone ? 0 : SSL_shutdown(ssl);
            if (n >= 0) {
                close_notify_sent = true;
                ::shutdown(remote, SHUT_WR);
                progress = true;
            } else {
                want(SSL_get_error(ssl, n));
            }
        }
        if (fatal) break;
        bool flushed = local_eof && out_start == out_end && close_notify_sent;
        if (flushed && (local_gone || (remote_eof && local_shut))) {
            clean = true;
            break;
        }
        if (progress) continue;
        // A local side that went away (or that nothing is wanted from, when its going is not
        // watched for) is left out of the poll, which would report its hang-up again and again.
        bool poll_local = !local_gone && (local_events != 0 || options_.local_close_ends);
        pollfd fds[2] = {{remote, remote_events, 0}, {poll_local ? local : -1, local_events, 0}};
        // Once the local side is gone, a peer that does not take its last bytes is not waited
        // for long.
        int ready = ::poll(fds, 2, local_gone ? options_.drain_timeout_ms : -1);
        if (ready < 0 && errno != EINTR) break;
        if (ready == 0) break;
        // After the peer's close_notify nothing is read from it, so a hang-up (the peer gone, or
        // the process stopping) shows only here.
        if (fds[0].revents & (POLLHUP | POLLERR) && !(remote_events & POLLOUT) &&
            (remote_eof || !(fds[0].revents & POLLIN)))
            break;
        if (options_.local_close_ends) {
            // Closed entirely (not only shut down for writing): read what it left, then go.
            if (fds[1].revents & (POLLHUP | POLLERR)) local_gone = true;
        } else if (fds[1].revents & POLLERR) {
            break;
        }
    }
    failed_ = !clean;
    // The peer sees the end of the stream; the local side sees end of file and EPIPE.
    ::shutdown(remote, SHUT_RDWR);
    ::shutdown(local, SHUT_RDWR);
}

}  // namespace berth::tls
