#include "api/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "tls/openssl_errors.h"

namespace berth::api {
namespace {

Error tls_error(std::string_view what) {
    return Error(ErrorKind::InvalidArgument, std::string(what) + ": " + tls::openssl_reasons());
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
    // Idle keep-alive connections give their buffers back: thousands may be open.
    SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
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

Result<std::unique_ptr<TlsConnection>> TlsConnection::start(const TlsContext& context,
                                                            UniqueFd fd) {
    ERR_clear_error();
    SSL* ssl = SSL_new(context.get());
    if (!ssl) return std::unexpected(tls_error("start a TLS connection"));
    std::unique_ptr<SSL, decltype(&SSL_free)> guard(ssl, SSL_free);
    if (SSL_set_fd(ssl, fd.get()) != 1) return std::unexpected(tls_error("start a TLS connection"));
    SSL_set_accept_state(ssl);
    return std::unique_ptr<TlsConnection>(new TlsConnection(guard.release(), std::move(fd)));
}

Result<IoWait> TlsConnection::handshake() {
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int result = SSL_do_handshake(ssl_);
        if (result == 1) return IoWait::None;
        int error = SSL_get_error(ssl_, result);
        if (error == SSL_ERROR_WANT_READ) return IoWait::Readable;
        if (error == SSL_ERROR_WANT_WRITE) return IoWait::Writable;
        if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
        failed_ = true;
        Error failure = io_error(ssl_, result, "TLS handshake");
        long verify = SSL_get_verify_result(ssl_);
        if (verify != X509_V_OK)
            return fail(ErrorKind::PermissionDenied,
                        failure.message() + " (" + X509_verify_cert_error_string(verify) + ")");
        return fail(std::move(failure));
    }
}

Result<size_t> TlsConnection::try_read(char* data, size_t size, IoWait& wait) {
    wait = IoWait::None;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int n = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
        if (n > 0) return static_cast<size_t>(n);
        if (is_end_of_stream(ssl_, n)) return 0;
        int error = SSL_get_error(ssl_, n);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
            wait = error == SSL_ERROR_WANT_READ ? IoWait::Readable : IoWait::Writable;
            return 0;
        }
        if (error == SSL_ERROR_SYSCALL && errno == EINTR) continue;
        failed_ = true;
        return std::unexpected(io_error(ssl_, n, "TLS read"));
    }
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

}  // namespace berth::api
