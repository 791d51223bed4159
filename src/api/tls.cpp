#include "api/tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cstring>

namespace berth::api {
namespace {

// The reasons OpenSSL queued for the last failure, oldest first, without repeats.
std::string openssl_reasons() {
    std::string reasons;
    while (unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        std::string text = reason ? reason : "error " + std::to_string(code);
        if (reasons.find(text) != std::string::npos) continue;
        if (!reasons.empty()) reasons += "; ";
        reasons += text;
    }
    return reasons.empty() ? "unknown TLS error" : reasons;
}

Error tls_error(std::string_view what) {
    return Error(ErrorKind::InvalidArgument, std::string(what) + ": " + openssl_reasons());
}

Result<void> check_readable(const std::string& path, std::string_view what) {
    if (path.empty())
        return fail(ErrorKind::InvalidArgument, "no " + std::string(what) + " file given");
    if (::access(path.c_str(), R_OK) != 0)
        return fail_errno("read " + std::string(what) + " " + path);
    return {};
}

// A clean end of the peer's stream: close_notify, or (OpenSSL 3) EOF without one, which the
// HTTP phase treats as a close too (Beast tells a cut-off message from a finished one).
bool is_end_of_stream(SSL* ssl, int result) {
    int error = SSL_get_error(ssl, result);
    if (error == SSL_ERROR_ZERO_RETURN) return true;
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) return true;
    if (error == SSL_ERROR_SSL &&
        ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return true;
    }
    return false;
}

Error io_error(SSL* ssl, int result, std::string_view what) {
    int error = SSL_get_error(ssl, result);
    if (error == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        return Error::from_errno(what, errno ? errno : EPIPE);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE)
        return Error(ErrorKind::Unavailable, std::string(what) + ": timed out");
    Error e = tls_error(what);
    return Error(ErrorKind::Unavailable, e.message());
}

void set_timeouts(int fd, int seconds) {
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

constexpr int kHandshakeTimeoutSeconds = 10;

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsOptions& options) {
    TRY(check_readable(options.cert_file, "TLS certificate"));
    TRY(check_readable(options.key_file, "TLS key"));
    if (options.verify_clients) TRY(check_readable(options.ca_file, "TLS CA certificate"));
    ERR_clear_error();
    SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
    if (!raw) return std::unexpected(tls_error("create a TLS context"));
    std::shared_ptr<TlsContext> context(new TlsContext(raw, options.verify_clients));
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    // Renegotiation would let a read want a write in the middle of a stream; nobody needs it.
    // No session resumption: clients are few and connections long.
    SSL_CTX_set_options(
        raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(raw, 0);
    SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(raw, options.cert_file.c_str()) != 1)
        return std::unexpected(tls_error("load TLS certificate " + options.cert_file));
    if (SSL_CTX_use_PrivateKey_file(raw, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        return std::unexpected(tls_error("load TLS key " + options.key_file));
    if (SSL_CTX_check_private_key(raw) != 1)
        return std::unexpected(tls_error("TLS key " + options.key_file +
                                         " does not match certificate " + options.cert_file));
    if (options.verify_clients) {
        // Only this CA, not the system's: a certificate from any public CA must not be root here.
        if (SSL_CTX_load_verify_locations(raw, options.ca_file.c_str(), nullptr) != 1)
            return std::unexpected(tls_error("load TLS CA certificate " + options.ca_file));
        // Tells clients which CA to pick a certificate for.
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.ca_file.c_str()))
            SSL_CTX_set_client_CA_list(raw, names);
        SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    return std::shared_ptr<const TlsContext>(std::move(context));
}

TlsContext::~TlsContext() {
    SSL_CTX_free(ctx_);
}

Result<std::unique_ptr<TlsConnection>> TlsConnection::accept(const TlsContext& context,
                                                             UniqueFd& fd) {
    ERR_clear_error();
    SSL* ssl = SSL_new(context.get());
    if (!ssl) return std::unexpected(tls_error("start a TLS connection"));
    std::unique_ptr<SSL, decltype(&SSL_free)> guard(ssl, SSL_free);
    if (SSL_set_fd(ssl, fd.get()) != 1) return std::unexpected(tls_error("start a TLS connection"));
    // A client that connects and says nothing must not hold a thread for ever.
    set_timeouts(fd.get(), kHandshakeTimeoutSeconds);
    int result;
    do {
        errno = 0;
        result = SSL_accept(ssl);
    } while (result != 1 && SSL_get_error(ssl, result) == SSL_ERROR_SYSCALL && errno == EINTR);
    set_timeouts(fd.get(), 0);
    if (result != 1) {
        Error error = io_error(ssl, result, "TLS handshake");
        long verify = SSL_get_verify_result(ssl);
        if (verify != X509_V_OK)
            return fail(ErrorKind::PermissionDenied,
                        error.message() + " (" + X509_verify_cert_error_string(verify) + ")");
        return fail(std::move(error));
    }
    return std::unique_ptr<TlsConnection>(new TlsConnection(guard.release(), std::move(fd)));
}

TlsConnection::~TlsConnection() {
    SSL_free(ssl_);
}

Result<size_t> TlsConnection::read(char* data, size_t size) {
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int n = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        if (n > 0) return static_cast<size_t>(n);
        if (is_end_of_stream(ssl_, n)) return 0;
        if (SSL_get_error(ssl_, n) == SSL_ERROR_SYSCALL && errno == EINTR) continue;
        failed_ = true;
        return std::unexpected(io_error(ssl_, n, "TLS read"));
    }
}

Result<size_t> TlsConnection::write(const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ERR_clear_error();
        errno = 0;
        int n =
            SSL_write(ssl_, data + done, static_cast<int>(std::min<size_t>(size - done, INT_MAX)));
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (SSL_get_error(ssl_, n) == SSL_ERROR_SYSCALL && errno == EINTR) continue;
        failed_ = true;
        return std::unexpected(io_error(ssl_, n, "TLS write"));
    }
    return done;
}

void TlsConnection::send_close_notify() {
    // OpenSSL forbids SSL_shutdown after a fatal error; one call sends the alert and returns.
    if (close_notify_sent_ || failed_) return;
    close_notify_sent_ = true;
    ERR_clear_error();
    (void)SSL_shutdown(ssl_);
    ERR_clear_error();
}

// ---- the bridge ------------------------------------------------------------------------------

Result<std::pair<std::unique_ptr<TlsBridge>, UniqueFd>> TlsBridge::start(
    std::unique_ptr<TlsConnection> connection) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return fail_errno("socketpair for a hijacked TLS connection");
    UniqueFd local(pair[0]), handed(pair[1]);
    int remote = connection->fd();
    if (::fcntl(remote, F_SETFL, ::fcntl(remote, F_GETFL) | O_NONBLOCK) != 0 ||
        ::fcntl(local.get(), F_SETFL, O_NONBLOCK) != 0)
        return fail_errno("make a hijacked TLS connection non-blocking");
    std::unique_ptr<TlsBridge> bridge(new TlsBridge(std::move(connection), std::move(local)));
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
    SSL* ssl = connection_->ssl_;
    int remote = connection_->fd();
    int local = local_.get();
    std::array<char, 16384> inbound{}, outbound{};  // remote → local, local → remote
    size_t in_start = 0, in_end = 0, out_start = 0, out_end = 0;
    bool remote_eof = false;  // close_notify received: nothing more to read from the client
    bool local_eof = false;   // the local side shut down its writing
    bool local_shut = false;  // we passed the client's close_notify on as SHUT_WR
    bool fatal = false;
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
        if (!remote_eof && in_start == in_end) {
            ERR_clear_error();
            errno = 0;
            int n = SSL_read(ssl, inbound.data(), static_cast<int>(inbound.size()));
            if (n > 0) {
                in_start = 0;
                in_end = static_cast<size_t>(n);
                progress = true;
            } else if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN) {
                remote_eof = true;
                progress = true;
            } else {
                // An EOF without close_notify is the connection cut (or the server stopping).
                want(SSL_get_error(ssl, n));
            }
        }
        if (in_start < in_end) {
            ssize_t n = ::send(local, inbound.data() + in_start, in_end - in_start, MSG_NOSIGNAL);
            if (n > 0) {
                in_start += static_cast<size_t>(n);
                progress = true;
            } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                local_events |= POLLOUT;
            } else {
                fatal = true;  // the local side is gone: nobody can take the client's bytes
            }
        } else if (remote_eof && !local_shut) {
            ::shutdown(local, SHUT_WR);
            local_shut = true;
            progress = true;
        }
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
            } else {
                fatal = true;
            }
        }
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
        } else if (local_eof && !connection_->close_notify_sent_) {
            connection_->send_close_notify();
            ::shutdown(remote, SHUT_WR);
            progress = true;
        }
        if (fatal) break;
        bool finished = remote_eof && local_shut && local_eof && out_start == out_end &&
                        connection_->close_notify_sent_;
        if (finished) break;
        if (progress) continue;
        pollfd fds[2] = {{remote, remote_events, 0}, {local, local_events, 0}};
        if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
        // After the client's close_notify nothing is read from it, so a hang-up (the client
        // gone, or the server stopping) shows only here.
        if (fds[0].revents & (POLLHUP | POLLERR) && !(remote_events & POLLOUT) &&
            (remote_eof || !(fds[0].revents & POLLIN)))
            break;
        if (fds[1].revents & POLLERR) break;
    }
    if (fatal) connection_->failed_ = true;
    // The client sees the end of the stream; the local side sees EOF and EPIPE.
    ::shutdown(remote, SHUT_RDWR);
    ::shutdown(local, SHUT_RDWR);
}

}  // namespace berth::api
