#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/unique_fd.h"

namespace berth::api {
namespace {

// The server's side of these tests: a few routes that exercise the Exchange contract.
class HttpServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);
        char dir[] = "/tmp/berth-http-test.XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        dir_ = dir;
        path_ = dir_ + "/api.sock";
        router_.add("GET", "/hello", [](Exchange& e) {
            return e.respond(
                200, "text/plain",
                "hello " + e.request().param("x") + e.request().query_value("who").value_or(""));
        });
        router_.add("POST", "/echo", [](Exchange& e) -> Result<void> {
            std::string body;
            char buffer[7];  // small on purpose: many reads per chunk
            for (;;) {
                size_t n = TRY(e.read_body(buffer, sizeof buffer));
                if (n == 0) break;
                body.append(buffer, n);
            }
            return e.respond(200, "text/plain", "got " + body);
        });
        router_.add("GET", "/stream", [](Exchange& e) -> Result<void> {
            TRY(e.begin_stream(200, "application/json"));
            TRY(e.write("one\n"));
            TRY(e.write("two\n"));
            return e.end_stream();
        });
        router_.add("GET", "/missing", [](Exchange&) -> Result<void> {
            return fail(ErrorKind::NotFound, "no such x");
        });
        router_.add("POST", "/attach", [](Exchange& e) -> Result<void> {
            auto connection = TRY(
                e.hijack("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"));
            // Echo what the client sends, raw, until it closes its side.
            std::string data = connection.buffered;
            char buffer[256];
            ssize_t n;
            while ((n = ::read(connection.fd.get(), buffer, sizeof buffer)) > 0)
                data.append(buffer, static_cast<size_t>(n));
            std::string reply = "raw:" + data;
            (void)!::write(connection.fd.get(), reply.data(), reply.size());
            return {};
        });
        auto server = HttpServer::listen_unix(path_, router_, {.group = ""});
        ASSERT_TRUE(server) << server.error().message();
        server_ = std::move(*server);
        ASSERT_TRUE(server_->start());
    }
    void TearDown() override {
        server_.reset();
        ::rmdir(dir_.c_str());
    }

    UniqueFd connect_client() {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path_.c_str());
        EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        return fd;
    }
    static void send_all(int fd, const std::string& data) {
        ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    }
    // Reads until `marker` has arrived (or the peer closes).
    static std::string read_until(int fd, const std::string& marker) {
        std::string data;
        char buffer[4096];
        while (data.find(marker) == std::string::npos) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) break;
            data.append(buffer, static_cast<size_t>(n));
        }
        return data;
    }
    static std::string read_to_end(int fd) { return read_until(fd, std::string(1, '\0')); }

    std::string dir_, path_;
    Router router_;
    std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, SocketModeAndKeepAlive) {
    struct stat st;
    ASSERT_EQ(::stat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0660u);
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /v1.47/hello?who=you HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string first = read_until(fd.get(), "hello you");
    EXPECT_NE(first.find("HTTP/1.1 200 OK"), std::string::npos);
    EXPECT_NE(first.find("Api-Version: 1.47"), std::string::npos);
    // The same connection serves the next request.
    send_all(fd.get(), "GET /hello?who=again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(read_to_end(fd.get()).find("hello again"), std::string::npos);
}

TEST_F(HttpServerTest, ChunkedRequestBodyIsDecoded) {
    UniqueFd fd = connect_client();
    send_all(fd.get(),
             "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n0D\r\n, chunked wor\r\n2\r\nld\r\n0\r\n\r\n");
    EXPECT_NE(read_until(fd.get(), "got hello, chunked world").find("got hello, chunked world"),
              std::string::npos);
}

TEST_F(HttpServerTest, StreamedResponseIsChunked) {
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = read_until(fd.get(), "0\r\n\r\n");
    EXPECT_NE(response.find("Transfer-Encoding: chunked"), std::string::npos);
    EXPECT_NE(response.find("4\r\none\n\r\n4\r\ntwo\n\r\n0\r\n\r\n"), std::string::npos);
}

TEST_F(HttpServerTest, ErrorsAreDockerJson) {
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string response = read_until(fd.get(), "}");
    EXPECT_NE(response.find("HTTP/1.1 404 Not Found"), std::string::npos);
    EXPECT_NE(response.find("application/json"), std::string::npos);
    EXPECT_NE(response.find(R"({"message":"no such x"})"), std::string::npos);
    send_all(fd.get(), "GET /v1.99/hello HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(read_until(fd.get(), "1.47\"}").find("HTTP/1.1 400 Bad Request"), std::string::npos);
}

TEST_F(HttpServerTest, HeadSendsNoBody) {
    UniqueFd fd = connect_client();
    send_all(fd.get(), "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string response = read_to_end(fd.get());
    EXPECT_NE(response.find("Content-Length: 6"), std::string::npos);
    EXPECT_EQ(response.find("hello"), std::string::npos);
}

TEST_F(HttpServerTest, HijackHandsOverTheRawConnection) {
    UniqueFd fd = connect_client();
    // Raw bytes right behind the header: the server must pass on what it read ahead.
    send_all(fd.get(),
             "POST /attach HTTP/1.1\r\nHost: x\r\nUpgrade: tcp\r\n"
             "Connection: Upgrade\r\n\r\nearly");
    std::string head = read_until(fd.get(), "\r\n\r\n");
    EXPECT_NE(head.find("101 UPGRADED"), std::string::npos);
    send_all(fd.get(), " late");
    ::shutdown(fd.get(), SHUT_WR);
    std::string rest = head.substr(head.find("\r\n\r\n") + 4) + read_to_end(fd.get());
    EXPECT_EQ(rest, "raw:early late");
}

TEST_F(HttpServerTest, StopEndsIdleConnectionsAndRemovesTheSocket) {
    UniqueFd idle = connect_client();
    send_all(idle.get(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    read_until(idle.get(), "hello ");
    server_->stop();
    char byte;
    EXPECT_EQ(::read(idle.get(), &byte, 1), 0);  // the server shut it down
    EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

TEST_F(HttpServerTest, ALiveServerKeepsItsSocket) {
    auto second = HttpServer::listen_unix(path_, router_, {.group = ""});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind(), ErrorKind::AlreadyExists);
}

}  // namespace
}  // namespace berth::api
