#include "api/http_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
        router_.add("POST", "/ignore",
                    [](Exchange& e) { return e.respond(200, "text/plain", "ok"); });
        router_.add("GET", "/slow", [this](Exchange& e) -> Result<void> {
            std::unique_lock lock(slow_mutex_);
            ++slow_waiting_;
            slow_changed_.notify_all();
            slow_changed_.wait(lock, [&] { return slow_released_; });
            return e.respond(200, "text/plain", "slow done");
        });
        start_server({});
    }
    void start_server(ServerOptions options) {
        server_.reset();
        options.group = "";
        auto server = HttpServer::listen_unix(path_, router_, options);
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

    static bool closed_by_server(int fd) {
        char buffer[256];
        ssize_t n;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        }
        return n == 0 || errno == ECONNRESET;
    }

    std::mutex slow_mutex_;
    std::condition_variable slow_changed_;
    int slow_waiting_ = 0;
    bool slow_released_ = false;

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

TEST_F(HttpServerTest, IdleConnectionsHoldNoThreads) {
    // Open, half-sent and served-then-idle connections: none may keep a thread.
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 300; ++i) {
        clients.push_back(connect_client());
        if (i % 3 == 1) send_all(clients.back().get(), "GET /hello HTTP/1.1\r\nHo");
        if (i % 3 == 2) {
            send_all(clients.back().get(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
            read_until(clients.back().get(), "hello ");
        }
    }
    EXPECT_LE(server_->worker_threads(), 4u);  // what lingers of the pool, not one per client
    // And the server still answers at once.
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /hello?who=me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(read_to_end(fd.get()).find("hello me"), std::string::npos);
}

TEST_F(HttpServerTest, RequestsInProgressEachHaveAThread) {
    // Long requests (events, logs -f, wait) are not capped: each is served while others wait.
    std::vector<UniqueFd> clients;
    for (int i = 0; i < 20; ++i) {
        clients.push_back(connect_client());
        send_all(clients.back().get(), "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    {
        std::unique_lock lock(slow_mutex_);
        EXPECT_TRUE(slow_changed_.wait_for(lock, std::chrono::seconds(10),
                                           [&] { return slow_waiting_ == 20; }));
        slow_released_ = true;
    }
    slow_changed_.notify_all();
    for (auto& client : clients)
        EXPECT_NE(read_until(client.get(), "slow done").find("slow done"), std::string::npos);
}

TEST_F(HttpServerTest, SlowHeaderIsDroppedAtTheHeaderTimeout) {
    start_server({.header_timeout = std::chrono::milliseconds(300)});
    UniqueFd slow = connect_client();
    auto start = std::chrono::steady_clock::now();
    // A byte now and then does not buy time: the clock runs from the connection.
    send_all(slow.get(), "GET /hello HTTP/1.1\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    (void)::send(slow.get(), "X", 1, MSG_NOSIGNAL);
    EXPECT_TRUE(closed_by_server(slow.get()));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
    // A prompt client is unaffected.
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(read_to_end(fd.get()).find("200 OK"), std::string::npos);
}

TEST_F(HttpServerTest, IdleKeepAliveIsClosedAtTheIdleTimeout) {
    start_server({.idle_timeout = std::chrono::milliseconds(300)});
    UniqueFd fd = connect_client();
    send_all(fd.get(), "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    read_until(fd.get(), "hello ");
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_by_server(fd.get()));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAllAnswered) {
    UniqueFd fd = connect_client();
    send_all(fd.get(),
             "GET /hello?who=1 HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
             "GET /hello?who=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string all = read_to_end(fd.get());
    EXPECT_NE(all.find("hello 1"), std::string::npos);
    EXPECT_NE(all.find("got abc"), std::string::npos);
    EXPECT_NE(all.find("hello 3"), std::string::npos);
}

TEST_F(HttpServerTest, UnreadBodyIsDrainedAndTheConnectionKept) {
    UniqueFd fd = connect_client();
    std::string body(100000, 'x');
    // A route that ignores its body, and one that does not exist: both answer and keep going.
    send_all(fd.get(), "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string first = read_until(fd.get(), "ok");
    EXPECT_NE(first.find("200 OK"), std::string::npos);
    EXPECT_EQ(first.find("Connection: close"), std::string::npos);
    send_all(fd.get(),
             "POST /nowhere HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5\r\nhello\r\n0\r\n\r\n");
    std::string second = read_until(fd.get(), "}");
    EXPECT_NE(second.find("404 Not Found"), std::string::npos);
    send_all(fd.get(), "GET /hello?who=after HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_NE(read_until(fd.get(), "hello after").find("hello after"), std::string::npos);
}

TEST_F(HttpServerTest, HugeUnreadBodyGetsTheResponseNotAReset) {
    // Past the drain limit the connection ends, but the client, still writing, reads the 404
    // before its writes fail.
    UniqueFd fd = connect_client();
    std::string chunk(1 << 20, 'x');
    send_all(fd.get(), "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(8 * chunk.size()) + "\r\n\r\n");
    std::thread writer([&] {
        for (int i = 0; i < 8; ++i)
            if (::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0) break;
    });
    std::string response = read_until(fd.get(), "}");
    writer.join();
    EXPECT_NE(response.find("404 Not Found"), std::string::npos);
    EXPECT_NE(response.find("Connection: close"), std::string::npos);
}

TEST_F(HttpServerTest, MalformedChunkIsABadRequest) {
    UniqueFd fd = connect_client();
    send_all(fd.get(),
             "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "zz\r\nhello\r\n0\r\n\r\n");
    std::string response = read_to_end(fd.get());
    EXPECT_NE(response.find("400 Bad Request"), std::string::npos) << response;
    EXPECT_NE(response.find("malformed request body"), std::string::npos) << response;
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
    UniqueFd fd = connect_client();
    send_all(fd.get(),
             "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
    EXPECT_NE(read_to_end(fd.get()).find("431"), std::string::npos);
}

TEST_F(HttpServerTest, ALiveServerKeepsItsSocket) {
    auto second = HttpServer::listen_unix(path_, router_, {.group = ""});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind(), ErrorKind::AlreadyExists);
}

}  // namespace
}  // namespace berth::api
