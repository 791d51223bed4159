#include "client/tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "tls/openssl_errors.h"

namespace berth::client {

std::optional<TlsConfig> choose_tls_config(const TlsFlags& flags,
                                           const std::function<std::string(const char*)>& env,
                                           const std::function<bool(const std::string&)>& exists,
                                           const std::string& home) {
    auto first = [&env](const char* berth, const char* docker) {
        std::string value = env(berth);
        return value.empty() ? env(docker) : value;
    };
    bool verify =
        flags.verify ? *flags.verify : !first("BERTH_TLS_VERIFY", "DOCKER_TLS_VERIFY").empty();
    // docker: --tlsverify given at all (even =false) turns TLS on.
    bool tls = flags.tls || flags.verify || verify || !first("BERTH_TLS", "DOCKER_TLS").empty();
    if (!tls) return std::nullopt;
    std::string dir = first("BERTH_CERT_PATH", "DOCKER_CERT_PATH");
    if (dir.empty()) dir = env("DOCKER_CONFIG");
    if (dir.empty()) dir = home + "/.docker";
    auto in_dir = [&dir](const char* name) { return dir + "/" + name; };
    TlsConfig config;
    config.verify = verify;
    config.ca_file = flags.ca.value_or(in_dir("ca.pem"));
    // A default client certificate or key that does not exist is not sent (no error): --tls and
    // --tlsverify work without one against a daemon that does not ask.
    config.cert_file =
        flags.cert ? *flags.cert : (exists(in_dir("cert.pem")) ? in_dir("cert.pem") : "");
    config.key_file = flags.key ? *flags.key : (exists(in_dir("key.pem")) ? in_dir("key.pem") : "");
    return config;
}

namespace {

Result<void> check_readable(const std::string& path, std::string_view what) {
    if (::access(path.c_str(), R_OK) != 0)
        return fail_errno("could not read " + std::string(what) + " \"" + path + "\"");
    return {};
}

bool is_ip_address(const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

Result<std::shared_ptr<const TlsClientContext>> TlsClientContext::create(const TlsConfig& config) {
    if (config.verify) TRY(check_readable(config.ca_file, "CA certificate"));
    if (config.cert_file.empty() != config.key_file.empty())
        return fail(ErrorKind::InvalidArgument,
                    "a TLS client certificate needs both a certificate and a key (cert: \"" +
                        config.cert_file + "\", key: \"" + config.key_file +
                        "\"): give --tlscert and --tlskey");
    if (!config.cert_file.empty()) {
        TRY(check_readable(config.cert_file, "TLS certificate"));
        TRY(check_readable(config.key_file, "TLS key"));
    }
    ERR_clear_error();
    SSL_CTX* raw = SSL_CTX_new(TLS_client_method());
    if (!raw) return fail(ErrorKind::Internal, "create a TLS context: " + tls::openssl_reasons());
    std::shared_ptr<TlsClientContext> context(new TlsClientContext(raw, config));
    SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_AUTO_RETRY);
    if (config.verify) {
        // Only this CA, not the system's: the daemon's certificate comes from the user's CA.
        if (SSL_CTX_load_verify_locations(raw, config.ca_file.c_str(), nullptr) != 1)
            return fail(ErrorKind::InvalidArgument, "could not load CA certificate \"" +
                                                        config.ca_file +
                                                        "\": " + tls::openssl_reasons());
    }
    if (!config.cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(raw, config.cert_file.c_str()) != 1)
            return fail(ErrorKind::InvalidArgument, "could not load TLS certificate \"" +
                                                        config.cert_file +
                                                        "\": " + tls::openssl_reasons());
        if (SSL_CTX_use_PrivateKey_file(raw, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
            return fail(ErrorKind::InvalidArgument, "could not load TLS key \"" + config.key_file +
                                                        "\": " + tls::openssl_reasons());
        if (SSL_CTX_check_private_key(raw) != 1)
            return fail(ErrorKind::InvalidArgument, "TLS key \"" + config.key_file +
                                                        "\" does not match certificate \"" +
                                                        config.cert_file + "\"");
    }
    return std::shared_ptr<const TlsClientContext>(std::move(context));
}

TlsClientContext::~TlsClientContext() {
    SSL_CTX_free(ctx_);
}

// ---- the socket BIO --------------------------------------------------------------------------

struct TlsSessionState {
    int fd = -1;
    bool eof = false;
    std::string first_bytes;  // the first bytes the daemon sent, to name a plain-HTTP answer
};

namespace {

int bio_write(BIO* bio, const char* data, int size) {
    auto* state = static_cast<TlsSessionState*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = ::send(state->fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
        return -1;
    }
}

int bio_read(BIO* bio, char* data, int size) {
    auto* state = static_cast<TlsSessionState*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = ::recv(state->fd, data, static_cast<size_t>(size), 0);
        if (n > 0) {
            if (state->first_bytes.size() < 8)
                state->first_bytes.append(
                    data, std::min<size_t>(static_cast<size_t>(n), 8 - state->first_bytes.size()));
            return static_cast<int>(n);
        }
        if (n == 0) {
            state->eof = true;
            return 0;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
        return -1;
    }
}

long bio_ctrl(BIO* bio, int command, long, void*) {
    auto* state = static_cast<TlsSessionState*>(BIO_get_data(bio));
    switch (command) {
        case BIO_CTRL_FLUSH:
            return 1;
        case BIO_CTRL_EOF:
            return state && state->eof ? 1 : 0;
        default:
            return 0;
    }
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* socket_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "berth socket");
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_read(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

void set_timeouts(int fd, int seconds) {
    timeval tv{seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// docker's transport gives a TLS handshake 10 s.
constexpr int kHandshakeTimeoutSeconds = 10;

// OpenSSL's verification results in the words of Go's x509 errors, which docker users know.
std::string verify_error_text(long result) {
    switch (result) {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return "certificate signed by unknown authority";
        case X509_V_ERR_HOSTNAME_MISMATCH:
        case X509_V_ERR_IP_ADDRESS_MISMATCH:
            return "the certificate is not valid for this name or address";
        case X509_V_ERR_CERT_HAS_EXPIRED:
            return "the certificate has expired";
        case X509_V_ERR_CERT_NOT_YET_VALID:
            return "the certificate is not valid yet";
        default:
            return X509_verify_cert_error_string(result);
    }
}

// Alerts the daemon sends when it does not accept the client certificate (or its absence).
bool is_certificate_alert(int reason) {
    switch (reason) {
        case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
        case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
        case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
        case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
        case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
            return true;
        default:
            return false;
    }
}

}  // namespace

// ---- the session -----------------------------------------------------------------------------

TlsSession::TlsSession(ssl_st* ssl, std::unique_ptr<TlsSessionState> state,
                       const TlsClientContext& context, std::string host, std::string address)
    : ssl_(ssl),
      state_(std::move(state)),
      verify_(context.config().verify),
      sends_certificate_(!context.config().cert_file.empty()),
      host_(std::move(host)),
      address_(std::move(address)) {}

TlsSession::~TlsSession() {
    SSL_free(ssl_);
}

int TlsSession::fd() const {
    return state_->fd;
}

bool TlsSession::pending() const {
    return SSL_has_pending(ssl_) == 1;
}

Error TlsSession::error(int result, std::string_view what) {
    int code = SSL_get_error(ssl_, result);
    std::string prefix = "error during connect: " + address_ + ": ";
    // Without --tlsverify OpenSSL still checks the chain, but the handshake ignores the result.
    long verify = verify_ ? SSL_get_verify_result(ssl_) : X509_V_OK;
    if (verify != X509_V_OK) {
        ERR_clear_error();
        return Error(ErrorKind::PermissionDenied, prefix +
                                                      "tls: failed to verify certificate for " +
                                                      host_ + ": " + verify_error_text(verify));
    }
    if (state_->first_bytes.starts_with("HTTP/")) {
        ERR_clear_error();
        return Error(ErrorKind::Unavailable,
                     prefix +
                         "the daemon answered in plain HTTP, not TLS: it does not serve TLS "
                         "on this address (server gave HTTP response to HTTPS client)");
    }
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return Error(ErrorKind::Unavailable, prefix + std::string(what) + ": timed out");
    }
    if (code == SSL_ERROR_SSL) {
        int reason = ERR_GET_REASON(ERR_peek_error());
        std::string reasons = tls::openssl_reasons();
        if (is_certificate_alert(reason)) {
            std::string hint =
                sends_certificate_
                    ? "it did not accept the client certificate (is it signed by the daemon's CA?)"
                    : "it wants a client certificate (--tlscert and --tlskey, or cert.pem and "
                      "key.pem in DOCKER_CERT_PATH)";
            return Error(
                ErrorKind::PermissionDenied,
                prefix + "the daemon refused the TLS connection (" + reasons + "): " + hint);
        }
        if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING && state_->first_bytes.empty())
            return Error(ErrorKind::Unavailable,
                         prefix +
                             "the daemon closed the connection during the TLS handshake: does "
                             "it serve TLS on this address?");
        if (reason >= SSL_AD_REASON_OFFSET)
            return Error(ErrorKind::Unavailable,
                         prefix + "the daemon refused the TLS connection (" + reasons + ")");
        if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG)
            return Error(
                ErrorKind::Unavailable,
                prefix + "the daemon does not speak TLS on this address (" + reasons + ")");
        return Error(ErrorKind::Unavailable, prefix + std::string(what) + ": " + reasons);
    }
    ERR_clear_error();
    if (code == SSL_ERROR_SYSCALL && state_->eof && state_->first_bytes.empty())
        return Error(ErrorKind::Unavailable,
                     prefix +
                         "the daemon closed the connection during the TLS handshake: does it "
                         "serve TLS on this address?");
    if (code == SSL_ERROR_SYSCALL && errno != 0)
        return Error::from_errno(prefix + std::string(what), errno);
    return Error(ErrorKind::Unavailable, prefix + std::string(what) + ": connection closed");
}

Result<std::unique_ptr<TlsSession>> TlsSession::connect(const TlsClientContext& context, int fd,
                                                        const std::string& host,
                                                        const std::string& address) {
    ERR_clear_error();
    SSL* ssl = SSL_new(context.get());
    if (!ssl) return fail(ErrorKind::Internal, "start a TLS connection: " + tls::openssl_reasons());
    auto state = std::make_unique<TlsSessionState>();
    state->fd = fd;
    BIO* bio = BIO_new(socket_method());
    if (!bio) {
        SSL_free(ssl);
        return fail(ErrorKind::Internal, "start a TLS connection: " + tls::openssl_reasons());
    }
    BIO_set_data(bio, state.get());
    SSL_set_bio(ssl, bio, bio);
    std::unique_ptr<TlsSession> session(
        new TlsSession(ssl, std::move(state), context, host, address));
    bool ip = is_ip_address(host);
    if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (context.config().verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
        if (ok != 1)
            return fail(ErrorKind::InvalidArgument,
                        "error during connect: " + address + ": cannot verify the host " + host);
        SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
    } else {
        // --tls without --tlsverify: encrypted, the daemon not authenticated (docker's meaning).
        SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    }
    set_timeouts(fd, kHandshakeTimeoutSeconds);
    ERR_clear_error();
    errno = 0;
    int result = SSL_connect(ssl);
    set_timeouts(fd, 0);
    if (result != 1) return std::unexpected(session->error(result, "TLS handshake"));
    return session;
}

Result<size_t> TlsSession::read(char* data, size_t size) {
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (n > 0) return static_cast<size_t>(n);
    int code = SSL_get_error(ssl_, n);
    if (code == SSL_ERROR_ZERO_RETURN) return 0;
    // A daemon that hangs up without close_notify ends the stream too; HTTP framing tells a
    // cut-off message from a whole one.
    if (code == SSL_ERROR_SYSCALL && state_->eof) {
        ERR_clear_error();
        return 0;
    }
    if (code == SSL_ERROR_SSL &&
        ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING &&
        !state_->first_bytes.empty()) {
        ERR_clear_error();
        return 0;
    }
    return std::unexpected(error(n, "TLS read"));
}

Result<void> TlsSession::write(const char* data, size_t size) {
    size_t done = 0;
    while (done < size) {
        ERR_clear_error();
        errno = 0;
        int n =
            SSL_write(ssl_, data + done, static_cast<int>(std::min<size_t>(size - done, INT_MAX)));
        if (n <= 0) {
            // With TLS 1.3 a daemon refuses our certificate after our side of the handshake is
            // done: its alert may wait to be read on a connection that no longer takes writes.
            int saved = errno;
            if (SSL_get_error(ssl_, n) == SSL_ERROR_SYSCALL &&
                (saved == EPIPE || saved == ECONNRESET)) {
                ERR_clear_error();
                char byte;
                int r = SSL_read(ssl_, &byte, 1);
                if (r <= 0 && SSL_get_error(ssl_, r) == SSL_ERROR_SSL &&
                    ERR_GET_REASON(ERR_peek_error()) >= SSL_AD_REASON_OFFSET)
                    return std::unexpected(error(r, "TLS write"));
                ERR_clear_error();
                errno = saved;
            }
            return std::unexpected(error(n, "TLS write"));
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace berth::client
