// The client over TLS against an OpenSSL server in this process: docker's rules for the settings,
// requests, streamed and uploaded bodies, a hijacked connection with half-closes both ways, and
// the errors a user meets (wrong CA, wrong host, no client certificate, TLS against plain HTTP
// and the other way round, missing files).
#include "client/tls_client.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/fs.h"
#include "client/docker_client.h"
#include "tls/test_certificates.h"

namespace berth::client {
namespace {

// ---- choose_tls_config -----------------------------------------------------------------------

struct Env {
    std::map<std::string, std::string> vars;
    std::set<std::string> files;
    std::optional<TlsConfig> choose(const TlsFlags& flags) const {
        return choose_tls_config(
            flags,
            [this](const char* name) {
                auto it = vars.find(name);
                return it == vars.end() ? std::string() : it->second;
            },
            [this](const std::string& path) { return files.contains(path); }, "/home/u");
    }
};

TEST(ChooseTlsConfig, PlainWithoutFlagsOrEnvironment) {
    EXPECT_FALSE(Env{}.choose({}));
    Env empty_verify{{{"DOCKER_TLS_VERIFY", ""}}, {}};
    EXPECT_FALSE(empty_verify.choose({}));
}

TEST(ChooseTlsConfig, TlsVerifyUsesTheDefaultFilesThatExist) {
    Env env{{}, {"/home/u/.docker/ca.pem", "/home/u/.docker/cert.pem", "/home/u/.docker/key.pem"}};
    auto config = env.choose({.verify = true});
    ASSERT_TRUE(config);
    EXPECT_EQ(*config, (TlsConfig{true, "/home/u/.docker/ca.pem", "/home/u/.docker/cert.pem",
                                  "/home/u/.docker/key.pem"}));
    // No default client certificate: none is sent; the CA stays (its absence is an error later).
    auto bare = Env{}.choose({.verify = true});
    EXPECT_EQ(*bare, (TlsConfig{true, "/home/u/.docker/ca.pem", "", ""}));
}

TEST(ChooseTlsConfig, DockersEnvironment) {
    Env env{{{"DOCKER_TLS_VERIFY", "0"}, {"DOCKER_CERT_PATH", "/certs"}},
            {"/certs/cert.pem", "/certs/key.pem"}};
    // Any non-empty DOCKER_TLS_VERIFY means verify, "0" too (docker's rule).
    EXPECT_EQ(*env.choose({}),
              (TlsConfig{true, "/certs/ca.pem", "/certs/cert.pem", "/certs/key.pem"}));
    env.vars["BERTH_CERT_PATH"] = "/berth";
    EXPECT_EQ(env.choose({})->ca_file, "/berth/ca.pem");
    Env config_dir{{{"DOCKER_TLS", "1"}, {"DOCKER_CONFIG", "/cfg"}}, {}};
    EXPECT_EQ(config_dir.choose({})->ca_file, "/cfg/ca.pem");
    Env berth_tls{{{"BERTH_TLS", "1"}}, {}};
    EXPECT_FALSE(berth_tls.choose({})->verify);
    Env berth_verify{{{"BERTH_TLS_VERIFY", "1"}}, {}};
    EXPECT_TRUE(berth_verify.choose({})->verify);
}

TEST(ChooseTlsConfig, FlagsWin) {
    Env env{{{"DOCKER_TLS_VERIFY", "1"}}, {}};
    // --tlsverify=false: TLS still, without verification.
    auto config = env.choose({.verify = false});
    ASSERT_TRUE(config);
    EXPECT_FALSE(config->verify);
    auto tls = Env{}.choose({.tls = true, .ca = "/a/ca", .cert = "/a/c", .key = "/a/k"});
    EXPECT_EQ(*tls, (TlsConfig{false, "/a/ca", "/a/c", "/a/k"}));
}

TEST(TlsClientContext, MissingFilesAreNamed) {
    auto ca = TlsClientContext::create({.verify = true, .ca_file = "/nonexistent/ca.pem"});
    ASSERT_FALSE(ca);
    EXPECT_EQ(ca.error().message(),
              "could not read CA certificate \"/nonexistent/ca.pem\": no such file or directory");
    auto cert = TlsClientContext::create({.cert_file = "/nonexistent/cert.pem", .key_file = "/k"});
    ASSERT_FALSE(cert);
    EXPECT_NE(cert.error().message().find("/nonexistent/cert.pem"), std::string::npos);
    auto half = TlsClientContext::create({.cert_file = "/x/cert.pem"});
    ASSERT_FALSE(half);
    EXPECT_NE(half.error().message().find("--tlskey"), std::string::npos);
    // Without --tlsverify the CA is not read (docker's --tls).
    EXPECT_TRUE(TlsClientContext::create({.verify = false, .ca_file = "/nonexistent/ca.pem"}));
}

// ---- against a server ------------------------------------------------------------------------

// A CA, a server certificate for 127.0.0.1/localhost, one for another name, a client
// certificate from the CA and one from another CA, made once with the openssl command.
class TlsClientTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        auto dir = berth::tls::testing::make_test_certificates({
            {"server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost"},
            {"elsewhere", "ca", "subjectAltName=DNS:daemon.example"},
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
    }
    void TearDown() override {
        if (listener_) ::shutdown(listener_.get(), SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
    }

    static std::string path(const std::string& name) { return *dir_ + "/" + name; }

    // What the server does with one connection after reading a request head (and its
    // Content-Length body): it may write and read more through `ssl`.
    using Handler = std::function<void(SSL* ssl, const std::string& head, int fd)>;

    // A server on 127.0.0.1: TLS with `cert` (verifying client certificates when `verify`), or
    // plain HTTP when `cert` is empty. Serves connections one after the other.
    void serve(const std::string& cert, bool verify, Handler handler) {
        listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
                  0);
        ASSERT_EQ(::listen(listener_.get(), 8), 0);
        socklen_t length = sizeof address;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        SSL_CTX* ctx = nullptr;
        if (!cert.empty()) {
            ctx = SSL_CTX_new(TLS_server_method());
            SSL_CTX_use_certificate_chain_file(ctx, path(cert + "-cert.pem").c_str());
            SSL_CTX_use_PrivateKey_file(ctx, path(cert + "-key.pem").c_str(), SSL_FILETYPE_PEM);
            SSL_CTX_set_num_tickets(ctx, 0);
            if (verify) {
                SSL_CTX_load_verify_locations(ctx, path("ca.pem").c_str(), nullptr);
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
            }
        }
        thread_ = std::thread([this, ctx, handler = std::move(handler)] {
            while (true) {
                UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (!fd) break;
                if (!ctx) {
                    // Plain HTTP: whatever came (a TLS client's hello has no head to end).
                    char buffer[4096];
                    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
                    handler(nullptr, std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0),
                            fd.get());
                    continue;
                }
                SSL* ssl = SSL_new(ctx);
                SSL_set_fd(ssl, fd.get());
                if (SSL_accept(ssl) == 1) {
                    std::string head = read_head(ssl, fd.get());
                    handler(ssl, head, fd.get());
                    SSL_shutdown(ssl);
                } else {
                    ERR_clear_error();
                    ++refused_;
                }
                SSL_free(ssl);
            }
            SSL_CTX_free(ctx);
        });
    }

    static std::string read_head(SSL* ssl, int fd) {
        std::string data;
        char c;
        while (data.find("\r\n\r\n") == std::string::npos) {
            int n = ssl ? SSL_read(ssl, &c, 1) : static_cast<int>(::read(fd, &c, 1));
            if (n <= 0) break;
            data += c;
        }
        return data;
    }
    static void send(SSL* ssl, int fd, const std::string& data) {
        if (ssl)
            SSL_write(ssl, data.data(), static_cast<int>(data.size()));
        else
            (void)!::write(fd, data.data(), data.size());
    }
    static std::string answer(std::string_view body) {
        return "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
    }

    DaemonHost host(const std::string& name = "127.0.0.1") const {
        return *parse_daemon_host("tcp://" + name + ":" + std::to_string(port_), true);
    }
    static std::shared_ptr<const TlsClientContext> context(TlsConfig config) {
        auto created = TlsClientContext::create(config);
        EXPECT_TRUE(created) << created.error().message();
        return created ? *created : nullptr;
    }
    static TlsConfig mutual() {
        return {true, path("ca.pem"), path("client-cert.pem"), path("client-key.pem")};
    }

    static inline std::string* dir_ = nullptr;
    static inline bool available_ = false;
    UniqueFd listener_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<int> refused_ = 0;
};

TEST_F(TlsClientTest, MutualTlsCallsAndStreams) {
    serve("server", true, [](SSL* ssl, const std::string& head, int fd) {
        if (head.starts_with("GET /v1.47/events")) {
            // A chunked body of a megabyte, as logs -f or a save would send.
            send(ssl, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            std::string chunk(65536, 'x');
            for (int i = 0; i < 16; i++)
                send(ssl, fd, "10000\r\n" + chunk + "\r\n");
            send(ssl, fd, "0\r\n\r\n");
            return;
        }
        X509* peer = SSL_get1_peer_certificate(ssl);
        send(ssl, fd, answer(peer ? R"({"Client":"yes"})" : R"({"Client":"no"})"));
        X509_free(peer);
    });
    DockerClient client(host(), "berth", context(mutual()));
    auto info = client.call("GET", "/info");
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ((*info)["Client"], "yes");
    auto body = client.stream("GET", "/events");
    ASSERT_TRUE(body) << body.error().message();
    size_t total = 0;
    char buffer[10000];
    while (size_t n = (*body)->read_some(buffer, sizeof buffer).value())
        total += n;
    EXPECT_EQ(total, 16u * 65536u);
}

TEST_F(TlsClientTest, UploadsOverTls) {
    std::string received;
    serve("server", true, [&received](SSL* ssl, const std::string& head, int fd) {
        if (head.find("chunked") != std::string::npos) {
            char buffer[4096];
            while (received.find("0\r\n\r\n") == std::string::npos) {
                int n = SSL_read(ssl, buffer, sizeof buffer);
                if (n <= 0) break;
                received.append(buffer, static_cast<size_t>(n));
            }
        }
        send(ssl, fd, answer(R"({"stream":"Loaded image: x"})"));
    });
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    (void)!::write(pipe_fds[1], "tarbytes", 8);
    ::close(pipe_fds[1]);
    UniqueFd input(pipe_fds[0]);
    DockerClient client(host(), "berth", context(mutual()));
    auto body =
        client.stream("POST", "/images/load", std::nullopt, input.get(), "application/x-tar");
    ASSERT_TRUE(body) << body.error().message();
    EXPECT_EQ(*(*body)->read_line().value(), R"({"stream":"Loaded image: x"})");
    EXPECT_EQ(received, "8\r\ntarbytes\r\n0\r\n\r\n");
}

TEST_F(TlsClientTest, HijackedConnectionPassesHalfClosesThrough) {
    serve("server", true, [](SSL* ssl, const std::string& head, int fd) {
        if (!head.starts_with("POST")) return send(ssl, fd, answer("OK"));
        send(ssl, fd, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst;");
        // The client's stdin until its close_notify, then our answer and our close_notify.
        std::string data;
        char buffer[4096];
        int n;
        while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0)
            data.append(buffer, static_cast<size_t>(n));
        send(
            ssl, fd,
            "got " + std::to_string(data.size()) + " bytes ending " + data.substr(data.size() - 3));
    });
    DockerClient client(host(), "berth", context(mutual()));
    auto connection = client.hijack("/containers/x/attach?stream=1&stdin=1");
    ASSERT_TRUE(connection) << connection.error().message();
    ASSERT_TRUE(connection->bridge);
    std::string input(300000, 'i');
    input += "end";
    std::thread writer([&] {
        size_t done = 0;
        while (done < input.size()) {
            ssize_t n = ::send(connection->fd.get(), input.data() + done, input.size() - done,
                               MSG_NOSIGNAL);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::shutdown(connection->fd.get(), SHUT_WR);  // stdin ended
    });
    std::string all = connection->leftover;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(connection->fd.get(), buffer, sizeof buffer)) > 0)
        all.append(buffer, static_cast<size_t>(n));
    writer.join();
    EXPECT_EQ(all, "first;got 300003 bytes ending end");
}

TEST_F(TlsClientTest, ClosingAHijackedConnectionEndsTheBridge) {
    serve("server", false, [](SSL* ssl, const std::string& head, int fd) {
        if (!head.starts_with("POST")) return send(ssl, fd, answer("OK"));
        send(ssl, fd, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
        char buffer[64];
        while (SSL_read(ssl, buffer, sizeof buffer) > 0) {
        }
    });
    // --tls without --tlsverify: no CA, no client certificate.
    DockerClient client(host(), "berth", context({.verify = false}));
    auto connection = client.hijack("/containers/x/attach");
    ASSERT_TRUE(connection) << connection.error().message();
    connection->fd.reset();      // detached: the daemon still talks, nobody listens
    connection->bridge.reset();  // returns: the pump ended
    SUCCEED();
}

TEST_F(TlsClientTest, WrongCaNamesTheHost) {
    serve("server", true,
          [](SSL* ssl, const std::string&, int fd) { send(ssl, fd, answer("{}")); });
    TlsConfig config = mutual();
    config.ca_file = path("other-ca.pem");
    DockerClient client(host(), "berth", context(config));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(),
              "error during connect: tcp://127.0.0.1:" + std::to_string(port_) +
                  ": tls: failed to verify certificate for 127.0.0.1: certificate signed by "
                  "unknown authority");
}

TEST_F(TlsClientTest, CertificateForAnotherNameIsRefused) {
    serve("elsewhere", false,
          [](SSL* ssl, const std::string&, int fd) { send(ssl, fd, answer("{}")); });
    DockerClient client(host(), "berth", context(mutual()));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("failed to verify certificate for 127.0.0.1: the "
                                            "certificate is not valid for this name"),
              std::string::npos)
        << result.error().message();
    // The same daemon without --tlsverify: encrypted, not authenticated.
    DockerClient unverified(host(), "berth", context({.verify = false}));
    EXPECT_TRUE(unverified.call("GET", "/info"));
}

TEST_F(TlsClientTest, DaemonWantingAClientCertificate) {
    serve("server", true,
          [](SSL* ssl, const std::string&, int fd) { send(ssl, fd, answer("{}")); });
    DockerClient client(host(), "berth", context({.verify = true, .ca_file = path("ca.pem")}));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("it wants a client certificate"), std::string::npos)
        << result.error().message();
    TlsConfig stranger{true, path("ca.pem"), path("stranger-cert.pem"), path("stranger-key.pem")};
    DockerClient refused(host(), "berth", context(stranger));
    result = refused.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("did not accept the client certificate"),
              std::string::npos)
        << result.error().message();
}

TEST_F(TlsClientTest, TlsAgainstPlainHttp) {
    serve("", false, [](SSL*, const std::string&, int fd) {
        send(nullptr, fd,
             "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    DockerClient client(host(), "berth", context(mutual()));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("plain HTTP, not TLS"), std::string::npos)
        << result.error().message();
}

TEST_F(TlsClientTest, PlainAgainstTls) {
    serve("server", true,
          [](SSL* ssl, const std::string&, int fd) { send(ssl, fd, answer("{}")); });
    DockerClient client(*parse_daemon_host("tcp://127.0.0.1:" + std::to_string(port_)));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(),
              "Cannot connect to the berth daemon at tcp://127.0.0.1:" + std::to_string(port_) +
                  ": the daemon closed the connection without answering: does it want TLS "
                  "(--tlsverify)?");
}

}  // namespace
}  // namespace berth::client
