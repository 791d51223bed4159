// The TLS bridge between a real TLS session on a loopback TCP connection (the peer, driven with
// blocking OpenSSL calls) and the socketpair end it hands out: half-closes both ways, a local end
// closed entirely, a peer that hangs up without close_notify, under both sides' options.
#include "tls/tls_bridge.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

namespace berth::tls {
namespace {

using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;
using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// berthd's side and the CLI's (src/api/http_connection.cpp, src/client/docker_client.cpp).
const TlsBridgeOptions kDaemon{};
const TlsBridgeOptions kCli{.peer_hangup_ends = true, .local_close_ends = true};

// A server context with a fresh self-signed certificate; the client does not verify it.
CtxPtr server_context() {
    CtxPtr ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("berth-test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(ctx.get(), cert);
    SSL_CTX_use_PrivateKey(ctx.get(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
    return ctx;
}

// Everything from `fd` until end of file (or an error).
std::string read_all(int fd) {
    std::string data;
    char buffer[16384];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        data.append(buffer, static_cast<size_t>(n));
    return data;
}

void write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        ASSERT_GT(n, 0) << "send: " << std::strerror(errno);
        done += static_cast<size_t>(n);
    }
}

// A TLS connection on loopback TCP: the peer's end, and the end the bridge carries.
class TlsBridgeTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
        ASSERT_EQ(::listen(listener.get(), 1), 0);
        ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
        bridged_fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        ASSERT_EQ(::connect(bridged_fd_.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
        peer_fd_.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        ASSERT_TRUE(peer_fd_);

        // The peer is the TLS server here, as berthd is for the CLI; the bridge does not care.
        peer_.reset(SSL_new(server_ctx_.get()));
        bridged_.reset(SSL_new(client_ctx_.get()));
        SSL_set_verify(bridged_.get(), SSL_VERIFY_NONE, nullptr);
        SSL_set_fd(peer_.get(), peer_fd_.get());
        SSL_set_fd(bridged_.get(), bridged_fd_.get());
        std::thread server([&] { EXPECT_EQ(SSL_accept(peer_.get()), 1); });
        EXPECT_EQ(SSL_connect(bridged_.get()), 1);
        server.join();
    }

    void start(const TlsBridgeOptions& options) {
        auto started = TlsBridge::start(bridged_.get(), bridged_fd_.get(), options);
        ASSERT_TRUE(started) << started.error().message();
        bridge_ = std::move(started->first);
        local_ = std::move(started->second);
    }
    // What the peer reads until its stream ends; `clean` tells whether by close_notify.
    std::string peer_read_all(bool* clean = nullptr) {
        std::string data;
        char buffer[16384];
        int n;
        while ((n = SSL_read(peer_.get(), buffer, sizeof buffer)) > 0)
            data.append(buffer, static_cast<size_t>(n));
        if (clean) *clean = SSL_get_error(peer_.get(), n) == SSL_ERROR_ZERO_RETURN;
        ERR_clear_error();
        return data;
    }
    void peer_write(const std::string& data) {
        ASSERT_EQ(SSL_write(peer_.get(), data.data(), static_cast<int>(data.size())),
                  static_cast<int>(data.size()));
    }

    CtxPtr server_ctx_ = server_context();
    CtxPtr client_ctx_{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
    UniqueFd peer_fd_, bridged_fd_;
    SslPtr peer_{nullptr, SSL_free}, bridged_{nullptr, SSL_free};
    std::unique_ptr<TlsBridge> bridge_;  // after the session and socket it uses
    UniqueFd local_;
};

// The half-closes pass alike whichever side's options the bridge has.
class TlsBridgeBothSides : public TlsBridgeTest, public ::testing::WithParamInterface<bool> {
  protected:
    const TlsBridgeOptions& options() const { return GetParam() ? kCli : kDaemon; }
};

TEST_P(TlsBridgeBothSides, LocalHalfCloseBecomesCloseNotifyThenThePeersToo) {
    start(options());
    std::string up(1 << 20, 'u'), down(1 << 20, 'd');
    std::thread writer([&] {
        write_all(local_.get(), up);
        ::shutdown(local_.get(), SHUT_WR);
    });
    bool clean = false;
    EXPECT_EQ(peer_read_all(&clean), up);
    EXPECT_TRUE(clean) << "the local SHUT_WR arrives as close_notify";
    writer.join();
    // The other direction still flows after the half-close.
    std::string got;
    std::thread reader([&] { got = read_all(local_.get()); });
    peer_write(down);
    EXPECT_GE(SSL_shutdown(peer_.get()), 0);
    reader.join();
    EXPECT_EQ(got, down);
    bridge_->wait();
    EXPECT_FALSE(bridge_->failed());
}

TEST_P(TlsBridgeBothSides, PeerCloseNotifyBecomesEndOfFileThenTheLocalHalfClose) {
    start(options());
    peer_write("hello");
    EXPECT_GE(SSL_shutdown(peer_.get()), 0);
    EXPECT_EQ(read_all(local_.get()), "hello");
    write_all(local_.get(), "reply");
    ::shutdown(local_.get(), SHUT_WR);
    bool clean = false;
    EXPECT_EQ(peer_read_all(&clean), "reply");
    EXPECT_TRUE(clean);
    bridge_->wait();
    EXPECT_FALSE(bridge_->failed());
}

INSTANTIATE_TEST_SUITE_P(Options, TlsBridgeBothSides, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Cli" : "Daemon"; });

TEST_F(TlsBridgeTest, PeerHangupEndsItsDirectionWithPeerHangupEnds) {
    start(kCli);
    peer_write("bye");
    peer_fd_.reset();                          // no close_notify
    EXPECT_EQ(read_all(local_.get()), "bye");  // end of file, as after close_notify
    // OpenSSL answers the hang-up with an alert, which the gone peer's TCP resets: the bridge may
    // end before our side closes, or after.
    ::shutdown(local_.get(), SHUT_WR);
    bridge_->wait();
}

TEST_F(TlsBridgeTest, PeerHangupCutsTheStreamByDefault) {
    start(kDaemon);
    peer_write("bye");
    peer_fd_.reset();
    EXPECT_EQ(read_all(local_.get()), "bye");
    bridge_->wait();  // without the local side closing
    EXPECT_TRUE(bridge_->failed());
    EXPECT_LT(::send(local_.get(), "x", 1, MSG_NOSIGNAL), 0);
}

TEST_F(TlsBridgeTest, LocalCloseEndsTheBridgeWithLocalCloseEnds) {
    start(kCli);
    peer_write("nobody reads this");
    write_all(local_.get(), "last words");
    local_.reset();
    bool clean = false;
    EXPECT_EQ(peer_read_all(&clean), "last words");
    EXPECT_TRUE(clean);
    bridge_->wait();  // the peer never closed its side
    EXPECT_FALSE(bridge_->failed());
}

TEST_F(TlsBridgeTest, LocalCloseGivesUpOnAPeerThatDoesNotRead) {
    TlsBridgeOptions options = kCli;
    options.drain_timeout_ms = 100;
    // Small fixed TCP buffers (no autotuning), so that a peer that reads nothing stops the flow.
    int size = 16384;
    for (int fd : {peer_fd_.get(), bridged_fd_.get()}) {
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    start(options);
    // Fill every buffer between the local end and the peer.
    std::string chunk(1 << 16, 'x');
    size_t total = 0;
    while (total < (256u << 20)) {
        ssize_t n = ::send(local_.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            total += static_cast<size_t>(n);
            continue;
        }
        ASSERT_EQ(errno, EAGAIN);
        pollfd fd{local_.get(), POLLOUT, 0};
        if (::poll(&fd, 1, 300) == 0) break;
    }
    auto closed = std::chrono::steady_clock::now();
    local_.reset();
    bridge_->wait();
    EXPECT_LT(std::chrono::steady_clock::now() - closed, std::chrono::seconds(5));
    EXPECT_TRUE(bridge_->failed());
}

TEST_F(TlsBridgeTest, LocalSideVanishingCutsTheStreamByDefault) {
    start(kDaemon);
    local_.reset();
    bool clean = false;
    EXPECT_EQ(peer_read_all(&clean), "");
    EXPECT_TRUE(clean) << "the local end of file arrives as close_notify";
    // The peer's bytes have nowhere to go.
    peer_write("stdin");
    bridge_->wait();
    EXPECT_TRUE(bridge_->failed());
}

}  // namespace
}  // namespace berth::tls
