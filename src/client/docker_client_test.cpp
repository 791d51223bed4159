#include "client/docker_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::client {
namespace {

struct Request {
    std::string line, head, body;
};

// A daemon on a unix socket in a temp dir: answers each connection's request with what the
// handler returns (raw HTTP), then closes it.
class FakeDaemon {
  public:
    using Handler = std::function<std::string(const Request&)>;

    explicit FakeDaemon(Handler handler) : handler_(std::move(handler)) {
        char dir_template[] = "/tmp/berth-client-test.XXXXXX";
        dir_ = ::mkdtemp(dir_template);
        path_ = dir_ + "/d.sock";
        listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path_.c_str());
        ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
        ::listen(listener_.get(), 8);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeDaemon() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }

    DaemonHost host() const { return *parse_daemon_host("unix://" + path_); }
    std::vector<Request> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

  private:
    void serve() {
        while (true) {
            UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!connection) return;
            std::string data;
            char buffer[4096];
            while (data.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = ::read(connection.get(), buffer, sizeof buffer);
                if (n <= 0) break;
                data.append(buffer, static_cast<size_t>(n));
            }
            Request request;
            auto end = data.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            request.head = data.substr(0, end);
            request.line = request.head.substr(0, request.head.find("\r\n"));
            request.body = data.substr(end + 4);
            auto length_at = request.head.find("Content-Length: ");
            size_t length = length_at == std::string::npos
                                ? 0
                                : std::stoul(request.head.substr(length_at + 16));
            bool chunked = request.head.find("Transfer-Encoding: chunked") != std::string::npos;
            while ((chunked && request.body.find("0\r\n\r\n") == std::string::npos) ||
                   (!chunked && request.body.size() < length)) {
                ssize_t n = ::read(connection.get(), buffer, sizeof buffer);
                if (n <= 0) break;
                request.body.append(buffer, static_cast<size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            std::string response = handler_(request);
            (void)!::write(connection.get(), response.data(), response.size());
        }
    }

    Handler handler_;
    std::string dir_, path_;
    UniqueFd listener_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Request> requests_;
};

std::string http(int status, std::string_view body, std::string_view extra = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
           std::string(extra) + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           std::string(body);
}

std::string ping(std::string_view version) {
    std::string header = version.empty() ? "" : "Api-Version: " + std::string(version) + "\r\n";
    return http(200, "OK", header);
}

TEST(ApiVersion, NegotiatesTheLowerVersion) {
    EXPECT_EQ(negotiate_version({1, 47}, ApiVersion{1, 41}).str(), "1.41");
    EXPECT_EQ(negotiate_version({1, 47}, ApiVersion{1, 50}).str(), "1.47");
    EXPECT_EQ(negotiate_version({1, 47}, std::nullopt).str(), "1.24");
    EXPECT_FALSE(parse_api_version("1"));
    EXPECT_FALSE(parse_api_version("x.1"));
    EXPECT_EQ(parse_api_version("1.9")->minor, 9);
}

TEST(Query, EscapesValues) {
    EXPECT_EQ(Query().str(), "");
    EXPECT_EQ(Query().add("filters", "{\"a\":1}").add("t", "x y/z").str(),
              "?filters=%7B%22a%22%3A1%7D&t=x%20y%2Fz");
}

TEST(DockerClient, FirstRequestGoesWithOurVersionWithoutAPing) {
    FakeDaemon daemon(
        [](const Request&) { return http(200, R"([{"Id":"abc"}])", "Api-Version: 1.51\r\n"); });
    DockerClient client(daemon.host());
    auto list = client.call("GET", "/containers/json?all=1");
    ASSERT_TRUE(list) << list.error().message();
    EXPECT_EQ((*list)[0]["Id"], "abc");
    ASSERT_TRUE(client.call("GET", "/info"));
    auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].line, "GET /v1.47/containers/json?all=1 HTTP/1.1");
    EXPECT_EQ(requests[1].line, "GET /v1.47/info HTTP/1.1");
}

// An older daemon refuses our version without acting on the request; after a /_ping the
// request goes again with the version both know, and so do the next ones.
TEST(DockerClient, OlderDaemonGetsTheRequestAgainWithItsVersion) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.41");
        if (request.line.starts_with("POST /v1.47/"))
            return http(400, R"({"message":"client version 1.47 is too new. Maximum supported API )"
                             R"(version is 1.41"})");
        return http(201, R"({"Id":"new"})");
    });
    DockerClient client(daemon.host());
    auto created = client.call("POST", "/containers/create", Json{{"Image", "busybox"}});
    ASSERT_TRUE(created) << created.error().message();
    EXPECT_EQ((*created)["Id"], "new");
    ASSERT_TRUE(client.call("POST", "/containers/new/start"));
    auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_EQ(requests[0].line, "POST /v1.47/containers/create HTTP/1.1");
    EXPECT_EQ(requests[1].line, "GET /_ping HTTP/1.1");
    EXPECT_EQ(requests[2].line, "POST /v1.41/containers/create HTTP/1.1");
    EXPECT_EQ(requests[2].body, R"({"Image":"busybox"})");
    EXPECT_EQ(requests[3].line, "POST /v1.41/containers/new/start HTTP/1.1");
}

TEST(DockerClient, HeadNegotiatesFirst) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.41");
        if (request.line.find("/v1.41/") == std::string::npos) return http(400, "");
        return http(200, "", "X-Docker-Container-Path-Stat: e30=\r\n");
    });
    DockerClient client(daemon.host());
    auto stat = client.request("HEAD", "/containers/x/archive?path=/");
    ASSERT_TRUE(stat) << stat.error().message();
    EXPECT_EQ(stat->status, 200u);
    EXPECT_EQ(daemon.requests().back().line, "HEAD /v1.41/containers/x/archive?path=/ HTTP/1.1");
}

TEST(DockerClient, OldDaemonWithoutVersionHeaderGets124) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("");
        if (request.line.starts_with("GET /v1.47/"))
            return http(400,
                        "client is newer than server (client API version: 1.47, server "
                        "API version: 1.24)");
        return http(200, "{}");
    });
    DockerClient client(daemon.host());
    ASSERT_TRUE(client.call("GET", "/info"));
    EXPECT_EQ(daemon.requests().back().line, "GET /v1.24/info HTTP/1.1");
}

TEST(DockerClient, StreamsNegotiateFirst) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.41");
        return http(200, "");
    });
    DockerClient client(daemon.host());
    auto body = client.stream("GET", "/events");
    ASSERT_TRUE(body) << body.error().message();
    auto requests = daemon.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].line, "GET /v1.41/events HTTP/1.1");
}

TEST(DockerClient, DaemonErrorsReadAsDockersDo) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        if (request.line.find("/stop") != std::string::npos) return http(304, "");
        return http(404, R"({"message":"No such container: x"})");
    });
    DockerClient client(daemon.host());
    auto missing = client.call("POST", "/containers/x/start");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(), "Error response from daemon: No such container: x");
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_TRUE(client.call("POST", "/containers/x/stop"));  // 304: already stopped
    EXPECT_NE(daemon.requests()[1].head.find("Content-Length: 0"), std::string::npos);
}

TEST(DockerClient, SendsJsonBodies) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        return http(201, R"({"Id":"new"})");
    });
    DockerClient client(daemon.host());
    auto created = client.call("POST", "/containers/create", Json{{"Image", "busybox"}});
    ASSERT_TRUE(created);
    auto request = daemon.requests()[0];
    EXPECT_EQ(request.body, R"({"Image":"busybox"})");
    EXPECT_NE(request.head.find("Content-Type: application/json"), std::string::npos);
}

TEST(DockerClient, CannotConnectMessage) {
    DockerClient client(*parse_daemon_host("unix:///nonexistent/berth.sock"));
    auto result = client.call("GET", "/info");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(),
              "Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the berth "
              "daemon running?");
}

TEST(DockerClient, StreamsChunkedBodiesLineByLine) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        return std::string(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "6\r\n{\"a\":1\r\n4\r\n}\n{\"\r\n5\r\nb\":2}\r\n0\r\n\r\n");
    });
    DockerClient client(daemon.host());
    auto body = client.stream("GET", "/events");
    ASSERT_TRUE(body);
    EXPECT_EQ(*(*body)->read_line().value(), "{\"a\":1}");
    EXPECT_EQ(*(*body)->read_line().value(), "{\"b\":2}");
    EXPECT_FALSE((*body)->read_line().value());
}

TEST(DockerClient, UploadsAFileChunked) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        return http(200, "{\"stream\":\"Loaded image: x\\n\"}\n");
    });
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    (void)!::write(pipe_fds[1], "tarbytes", 8);
    ::close(pipe_fds[1]);
    UniqueFd input(pipe_fds[0]);
    DockerClient client(daemon.host());
    auto body =
        client.stream("POST", "/images/load", std::nullopt, input.get(), "application/x-tar");
    ASSERT_TRUE(body) << body.error().message();
    EXPECT_EQ(*(*body)->read_line().value(), "{\"stream\":\"Loaded image: x\\n\"}");
    auto request = daemon.requests()[1];
    EXPECT_NE(request.head.find("Transfer-Encoding: chunked"), std::string::npos);
    EXPECT_EQ(request.body, "8\r\ntarbytes\r\n0\r\n\r\n");
}

TEST(DockerClient, HijackKeepsBytesThatCameWithTheHead) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        return std::string("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n") +
               std::string("\x01\0\0\0\0\0\0\x02hi", 10);
    });
    DockerClient client(daemon.host());
    auto connection = client.hijack("/containers/x/attach?stream=1&stdout=1");
    ASSERT_TRUE(connection) << connection.error().message();
    std::string all = connection->leftover;
    char buffer[64];
    ssize_t n;
    while ((n = ::read(connection->fd.get(), buffer, sizeof buffer)) > 0)
        all.append(buffer, static_cast<size_t>(n));
    EXPECT_EQ(all, std::string("\x01\0\0\0\0\0\0\x02hi", 10));
    auto request = daemon.requests()[1];
    EXPECT_NE(request.head.find("Upgrade: tcp"), std::string::npos);
    EXPECT_NE(request.head.find("Connection: Upgrade"), std::string::npos);
}

TEST(DockerClient, HijackRefusedIsADaemonError) {
    FakeDaemon daemon([](const Request& request) {
        if (request.line.starts_with("GET /_ping")) return ping("1.47");
        return http(409, R"({"message":"container is not running"})");
    });
    DockerClient client(daemon.host());
    auto connection = client.hijack("/exec/x/start", "{}");
    ASSERT_FALSE(connection);
    EXPECT_EQ(connection.error().message(), "Error response from daemon: container is not running");
}

}  // namespace
}  // namespace berth::client
