// The API server over TLS, against an OpenSSL client: mutual TLS, server-only TLS, refused
// clients, and a hijacked connection bridged through the socketpair (half-closes included).
#include "api/tls.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "api/listeners.h"
#include "base/fs.h"
#include "tls/test_certificates.h"

namespace berth::api {
namespace {

// A CA, a server certificate for 127.0.0.1, a client certificate from the CA and one from
// another CA, made once with the openssl command.
class TlsTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto dir = berth::tls::testing::make_test_certificates({
            {"server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
            {"client", "ca", "extendedKeyUsage=clientAuth"},
            {"stranger", "other-ca", "extendedKeyUsage=clientAuth"},
        });
        available_ = dir.has_value();
        dir_ = new std::string(dir.value_or(""));
    }
    static void TearDownTestSuite() {
        if (!dir_->empty()) (void)remove_all(*dir_);
        delete dir_;
    }

    void SetUp() override {
        if (!available_) GTEST_SKIP() << "the openssl command is missing or failed";
        std::signal(SIGPIPE, SIG_IGN);
        router_.add("GET", "/hello",
                    [](Exchange& e) { return e.respond(200, "text/plain", "hello over tls"); });
        router_.add("POST", "/attach", [](Exchange& e) -> Result<void> {
            auto connection = TRY(
                e.hijack("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"));
            EXPECT_TRUE(connection.bridged);
            std::string data = connection.buffered;
            char buffer[256];
            ssize_t n;
            while ((n = ::read(connection.fd.get(), buffer, sizeof buffer)) > 0)
                data.append(buffer, static_cast<size_t>(n));
            std::string reply = "raw:" + data;
            (void)!::write(connection.fd.get(), reply.data(), reply.size());
            return {};
        });
    }

    void start_server(bool verify, ServerOptions options = {}) {
        auto context = TlsContext::create({.ca_file = path("ca.pem"),
                                           .cert_file = path("server-cert.pem"),
                                           .key_file = path("server-key.pem"),
                                           .verify_clients = verify});
        ASSERT_TRUE(context) << context.error().message();
        auto listener = listen_tcp("127.0.0.1", 0);
        ASSERT_TRUE(listener) << listener.error().message();
        port_ = std::stoi(listener->address.substr(listener->address.rfind(':') + 1));
        listener->tls = *context;
        std::vector<Listener> listeners;
        listeners.push_back(std::move(*listener));
        auto server = HttpServer::create(std::move(listeners), router_, std::move(options));
        ASSERT_TRUE(server) << server.error().message();
        server_ = std::move(*server);
        ASSERT_TRUE(server_->start());
    }

    static std::string path(const std::string& name) { return *dir_ + "/" + name; }

    // An OpenSSL client that trusts our CA and presents `cert` (none when empty).
    struct Client {
        std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{nullptr, SSL_CTX_free};
        std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
        UniqueFd fd;
        bool connected = false;

        void send(const std::string& data) {
            ASSERT_EQ(SSL_write(ssl.get(), data.data(), static_cast<int>(data.size())),
                      static_cast<int>(data.size()));
        }
        // Reads until `marker` arrived, or the end of the stream (or an error).
        std::string read_until(const std::string& marker) {
            std::string data;
            char buffer[4096];
            while (marker.empty() || data.find(marker) == std::string::npos) {
                int n = SSL_read(ssl.get(), buffer, sizeof buffer);
                if (n <= 0) break;
                data.append(buffer, static_cast<size_t>(n));
            }
            return data;
        }
    };

    UniqueFd connect_tcp() {
        UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        return fd;
    }

    Client connect(const std::string& name) {
        Client client;
        client.ctx.reset(SSL_CTX_new(TLS_client_method()));
        SSL_CTX_load_verify_locations(client.ctx.get(), path("ca.pem").c_str(), nullptr);
        SSL_CTX_set_verify(client.ctx.get(), SSL_VERIFY_PEER, nullptr);
        if (!name.empty()) {
            SSL_CTX_use_certificate_file(client.ctx.get(), path(name + "-cert.pem").c_str(),
                                         SSL_FILETYPE_PEM);
            SSL_CTX_use_PrivateKey_file(client.ctx.get(), path(name + "-key.pem").c_str(),
                                        SSL_FILETYPE_PEM);
        }
        client.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::connect(client.fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
                  0);
        client.ssl.reset(SSL_new(client.ctx.get()));
        SSL_set_fd(client.ssl.get(), client.fd.get());
        client.connected = SSL_connect(client.ssl.get()) == 1;
        ERR_clear_error();
        return client;
    }

    static inline std::string* dir_ = nullptr;
    static inline bool available_ = false;
    int port_ = 0;
    Router router_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(TlsTest, MutualTlsServesAClientWithACertificateFromTheCa) {
    start_server(true);
    Client client = connect("client");
    ASSERT_TRUE(client.connected);
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = client.read_until("hello over tls");
    EXPECT_NE(response.find("HTTP/1.1 200 OK"), std::string::npos) << response;
    EXPECT_NE(response.find("hello over tls"), std::string::npos);
    // Keep-alive works inside TLS too.
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(client.read_until("").find("hello over tls"), std::string::npos);
}

TEST_F(TlsTest, MutualTlsRefusesClientsWithoutAGoodCertificate) {
    start_server(true);
    for (const char* name : {"", "stranger"}) {
        Client client = connect(name);
        // TLS 1.3 finishes the client's side first; the server's verdict arrives as an alert.
        if (client.connected) {
            SSL_write(client.ssl.get(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", 33);
            EXPECT_EQ(client.read_until("hello").find("hello over tls"), std::string::npos)
                << "client " << name;
        }
    }
}

TEST_F(TlsTest, ServerOnlyTlsTakesAnyClient) {
    start_server(false);
    Client client = connect("");
    ASSERT_TRUE(client.connected);
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(client.read_until("").find("hello over tls"), std::string::npos);
}

TEST_F(TlsTest, PlainHttpOnATlsPortGetsNothing) {
    start_server(true);
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::write(fd.get(), request.data(), request.size()),
              static_cast<ssize_t>(request.size()));
    char buffer[256];
    std::string got;
    ssize_t n;
    while ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0)
        got.append(buffer, static_cast<size_t>(n));
    EXPECT_EQ(got.find("hello over tls"), std::string::npos);
}

TEST_F(TlsTest, HijackedConnectionIsBridgedWithHalfCloses) {
    start_server(true);
    Client client = connect("client");
    ASSERT_TRUE(client.connected);
    client.send("POST /attach HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nearly ");
    std::string head = client.read_until("\r\n\r\n");
    EXPECT_NE(head.find("101 UPGRADED"), std::string::npos) << head;
    client.send("and late");
    // The client's half-close: close_notify, after which it still reads.
    SSL_shutdown(client.ssl.get());
    std::string reply = client.read_until("");
    EXPECT_EQ(reply, "raw:early and late");
}

TEST_F(TlsTest, BridgeCarriesMegabytesBothWays) {
    start_server(true);
    Client client = connect("client");
    ASSERT_TRUE(client.connected);
    client.send("POST /attach HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_NE(client.read_until("\r\n\r\n").find("101"), std::string::npos);
    std::string payload;
    for (int i = 0; payload.size() < 3 * 1024 * 1024; ++i)
        payload += std::to_string(i) + ",";
    for (size_t at = 0; at < payload.size(); at += 100000)
        client.send(payload.substr(at, 100000));
    SSL_shutdown(client.ssl.get());
    std::string reply = client.read_until("");
    EXPECT_EQ(reply.size(), payload.size() + 4);
    EXPECT_TRUE(reply == "raw:" + payload);
}

TEST_F(TlsTest, StoppingTheServerEndsABridgedStream) {
    start_server(true);
    Client client = connect("client");
    ASSERT_TRUE(client.connected);
    client.send("POST /attach HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    EXPECT_NE(client.read_until("\r\n\r\n").find("101"), std::string::npos);
    // The handler waits for the client's EOF, which never comes: stop() must still return.
    server_->stop();
    EXPECT_EQ(client.read_until(""), "");
}

TEST_F(TlsTest, SilentClientsCostNoThreadAndAreDroppedAtTheHandshakeTimeout) {
    start_server(true, {.handshake_timeout = std::chrono::milliseconds(300)});
    std::vector<UniqueFd> silent;
    for (int i = 0; i < 100; ++i)
        silent.push_back(connect_tcp());
    // Handshakes are the event loop's: clients without certificates get no thread.
    EXPECT_EQ(server_->worker_threads(), 0u);
    // A client with a certificate is served meanwhile.
    Client client = connect("client");
    ASSERT_TRUE(client.connected);
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(client.read_until("").find("hello over tls"), std::string::npos);
    // Dropped without an answer (a server that kept it would time this read out: EAGAIN).
    timeval patience{10, 0};
    ::setsockopt(silent.back().get(), SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    char byte;
    ssize_t n = ::read(silent.back().get(), &byte, 1);
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n << " " << std::strerror(errno);
}

TEST(TlsContext, MissingFilesAreNamed) {
    auto context = TlsContext::create(
        {.cert_file = "/nonexistent/cert.pem", .key_file = "/nonexistent/key.pem"});
    ASSERT_FALSE(context);
    EXPECT_NE(context.error().message().find("/nonexistent/cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace berth::api
