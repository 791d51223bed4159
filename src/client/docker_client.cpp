#include "client/docker_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "client/tls_client.h"

namespace berth::client {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Socket = asio::generic::stream_protocol::socket;

std::optional<ApiVersion> parse_api_version(std::string_view text) {
    ApiVersion version;
    auto dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
    auto number = [](std::string_view digits, int& out) {
        if (digits.empty() || digits.size() > 4) return false;
        out = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') return false;
            out = out * 10 + (c - '0');
        }
        return true;
    };
    if (!number(text.substr(0, dot), version.major) || !number(text.substr(dot + 1), version.minor))
        return std::nullopt;
    return version;
}

ApiVersion negotiate_version(ApiVersion ours, std::optional<ApiVersion> server) {
    if (!server) return std::min(ours, ApiVersion{1, 24});
    return std::min(ours, *server);
}

std::string url_escape(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

Query& Query::add(std::string_view key, std::string_view value) {
    if (!text_.empty()) text_ += '&';
    text_ += url_escape(key) + "=" + url_escape(value);
    return *this;
}

namespace {

ErrorKind kind_for_status(unsigned status) {
    switch (status) {
        case 400:
            return ErrorKind::InvalidArgument;
        case 403:
            return ErrorKind::PermissionDenied;
        case 404:
            return ErrorKind::NotFound;
        case 409:
            return ErrorKind::Conflict;
        case 501:
            return ErrorKind::Unsupported;
        case 503:
            return ErrorKind::Unavailable;
        default:
            return ErrorKind::Internal;
    }
}

}  // namespace

Error daemon_error(unsigned status, std::string_view body) {
    std::string message;
    if (auto document = parse_json(body, "error"); document && document->is_object()) {
        auto text = document->find("message");
        if (text != document->end() && text->is_string()) message = text->get<std::string>();
    }
    if (message.empty()) {
        message = std::string(body);
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r'))
            message.pop_back();
    }
    if (message.empty())
        message = http::obsolete_reason(static_cast<http::status>(status)).to_string();
    return Error(kind_for_status(status), "Error response from daemon: " + message);
}

Result<std::optional<std::string>> BodyReader::read_line() {
    while (true) {
        if (auto newline = pending_.find('\n'); newline != std::string::npos) {
            std::string line = pending_.substr(0, newline);
            pending_.erase(0, newline + 1);
            return line;
        }
        if (ended_) {
            if (pending_.empty()) return std::nullopt;
            return std::exchange(pending_, {});
        }
        char buffer[16384];
        size_t got = TRY(read_some(buffer, sizeof buffer));
        if (got == 0) ended_ = true;
        pending_.append(buffer, got);
    }
}

// The transport Beast reads from (a SyncReadStream): the socket, or the TLS session over it.
struct detail::Connection {
    asio::io_context context;
    Socket socket{context};
    std::unique_ptr<TlsSession> tls;
    boost::beast::flat_buffer buffer;
    bool plain_tcp = false;          // TCP without TLS: a TLS daemon's silence is worth naming
    std::string address, product;    // for error messages
    std::string first_bytes;         // the first bytes the daemon sent
    std::optional<Error> tls_error;  // why the TLS session failed, in words a user can act on

    template <class Buffers>
    size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
        size_t got = 0;
        if (!tls) {
            got = socket.read_some(buffers, ec);
        } else {
            ec = {};
            for (auto it = asio::buffer_sequence_begin(buffers);
                 it != asio::buffer_sequence_end(buffers); ++it) {
                asio::mutable_buffer buffer = *it;
                if (buffer.size() == 0) continue;
                auto n = tls->read(static_cast<char*>(buffer.data()), buffer.size());
                if (!n) {
                    tls_error = n.error();
                    ec = asio::error::connection_aborted;
                } else if (*n == 0) {
                    ec = asio::error::eof;
                }
                got = n.value_or(0);
                break;
            }
        }
        if (first_bytes.size() < 8 && got > 0) {
            auto first = *asio::buffer_sequence_begin(buffers);
            first_bytes.append(static_cast<const char*>(first.data()),
                               std::min({got, first.size(), 8 - first_bytes.size()}));
        }
        return got;
    }
    template <class Buffers>
    size_t read_some(const Buffers& buffers) {
        boost::system::error_code ec;
        size_t got = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return got;
    }

    Result<void> write_all(std::string_view data) {
        if (tls) {
            auto written = tls->write(data.data(), data.size());
            if (!written) tls_error = written.error();
            return written;
        }
        boost::system::error_code ec;
        asio::write(socket, asio::buffer(data.data(), data.size()), ec);
        if (ec) return fail(ErrorKind::Unavailable, "write to daemon: " + ec.message());
        return {};
    }

    // The error a failed read means when the cause is known: the TLS session's own, or a plain
    // request that a TLS daemon dropped or answered in TLS.
    std::optional<Error> known_failure(const boost::system::error_code& ec) const {
        if (tls_error) return *tls_error;
        std::string prefix = "Cannot connect to the " + product + " daemon at " + address + ": ";
        bool tls_answer = first_bytes.size() >= 2 &&
                          (first_bytes[0] == '\x15' || first_bytes[0] == '\x16') &&
                          first_bytes[1] == '\x03';
        if (plain_tcp && tls_answer)
            return Error(ErrorKind::Unavailable,
                         prefix + "the daemon answered in TLS: use --tlsverify (or --tls)");
        bool dropped = ec == asio::error::eof || ec == http::error::end_of_stream ||
                       ec == asio::error::connection_reset || ec == http::error::partial_message;
        if (plain_tcp && first_bytes.empty() && dropped)
            return Error(ErrorKind::Unavailable,
                         prefix +
                             "the daemon closed the connection without answering: does it "
                             "want TLS (--tlsverify)?");
        return std::nullopt;
    }
    // The known failure, else `what` and the system's words.
    Error failure(const boost::system::error_code& ec, std::string_view what) const {
        if (auto known = known_failure(ec)) return *known;
        return Error(ErrorKind::Unavailable, std::string(what) + ": " + ec.message());
    }
};

namespace {

// The body of a response, read through Beast's parser (which undoes chunked encoding).
class ParserBodyReader : public BodyReader {
  public:
    ParserBodyReader(std::unique_ptr<detail::Connection> connection,
                     std::unique_ptr<http::response_parser<http::buffer_body>> parser)
        : connection_(std::move(connection)),
          buffer_(connection_->buffer),
          parser_(std::move(parser)) {}

    Result<size_t> read_some(char* data, size_t size) override {
        while (!parser_->is_done()) {
            auto& body = parser_->get().body();
            body.data = data;
            body.size = size;
            boost::system::error_code ec;
            http::read_some(*connection_, buffer_, *parser_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (connection_->tls_error) return std::unexpected(*connection_->tls_error);
            if (ec == http::error::end_of_stream || ec == asio::error::eof)
                return fail(ErrorKind::Unavailable, "the daemon closed the stream early");
            if (ec) return fail(ErrorKind::Unavailable, "read from daemon: " + ec.message());
            size_t got = size - parser_->get().body().size;
            if (got > 0) return got;
        }
        return 0;
    }

  private:
    std::unique_ptr<detail::Connection> connection_;
    boost::beast::flat_buffer& buffer_;
    std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
};

std::string request_head(std::string_view method, std::string_view target,
                         std::string_view content_type, std::optional<size_t> length, bool chunked,
                         bool upgrade) {
    std::string head = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    head += "Host: api.moby.localhost\r\nUser-Agent: berth-cli\r\n";
    if (!content_type.empty() && (length || chunked))
        head += "Content-Type: " + std::string(content_type) + "\r\n";
    if (length) head += "Content-Length: " + std::to_string(*length) + "\r\n";
    if (chunked) head += "Transfer-Encoding: chunked\r\n";
    if (upgrade) head += "Connection: Upgrade\r\nUpgrade: tcp\r\n";
    return head + "\r\n";
}

}  // namespace

DockerClient::DockerClient(DaemonHost host, std::string product,
                           std::shared_ptr<const TlsClientContext> tls)
    : host_(std::move(host)), product_(std::move(product)), tls_(std::move(tls)) {}

DockerClient::~DockerClient() = default;

Error DockerClient::cannot_connect() const {
    return Error(ErrorKind::Unavailable, "Cannot connect to the " + product_ + " daemon at " +
                                             host_.text + ". Is the " + product_ +
                                             " daemon running?");
}

Result<std::unique_ptr<detail::Connection>> DockerClient::connect() {
    auto connection = std::make_unique<detail::Connection>();
    connection->address = host_.text;
    connection->product = product_;
    boost::system::error_code ec;
    if (host_.kind == DaemonHost::Kind::Unix) {
        asio::local::stream_protocol::endpoint endpoint(host_.path);
        connection->socket.connect(asio::generic::stream_protocol::endpoint(endpoint), ec);
        if (ec) return std::unexpected(cannot_connect());
        return connection;
    }
    asio::ip::tcp::resolver resolver(connection->context);
    auto results = resolver.resolve(host_.host, host_.port, ec);
    if (ec) return std::unexpected(cannot_connect());
    bool connected = false;
    for (auto& entry : results) {
        connection->socket.close(ec);
        connection->socket.connect(asio::generic::stream_protocol::endpoint(entry.endpoint()), ec);
        if (!ec) {
            connected = true;
            break;
        }
    }
    if (!connected) return std::unexpected(cannot_connect());
    // As Go's (docker's) dialer: a TLS handshake's last flight and the request right after it
    // must not wait for delayed ACKs.
    int one = 1;
    ::setsockopt(connection->socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!tls_) {
        connection->plain_tcp = true;
        return connection;
    }
    connection->tls =
        TRY(TlsSession::connect(*tls_, connection->socket.native_handle(), host_.host, host_.text));
    return connection;
}

Result<ApiVersion> DockerClient::api_version() {
    if (version_) return *version_;
    ApiVersion ours = *parse_api_version(kClientApiVersion);
    if (const char* forced = std::getenv("DOCKER_API_VERSION"); forced && *forced) {
        if (auto parsed = parse_api_version(forced)) return *(version_ = *parsed);
    }
    auto connection = TRY(connect());
    TRY(connection->write_all(request_head("GET", "/_ping", "", std::nullopt, false, false)));
    http::response_parser<http::string_body> parser;
    boost::system::error_code ec;
    http::read(*connection, connection->buffer, parser, ec);
    if (ec) return std::unexpected(connection->known_failure(ec).value_or(cannot_connect()));
    std::optional<ApiVersion> server;
    if (auto it = parser.get().find("Api-Version"); it != parser.get().end())
        server = parse_api_version(std::string_view(it->value().data(), it->value().size()));
    version_ = negotiate_version(ours, server);
    return *version_;
}

Result<std::string> DockerClient::versioned(std::string_view path) {
    ApiVersion version = TRY(api_version());
    return "/v" + version.str() + std::string(path);
}

// A daemon's answer to a request for an API version newer than its own: 400 with "client
// version X is too new. Maximum supported API version is Y" (berthd, dockerd since 17.06) or
// "client is newer than server" (older dockerd).
static bool version_too_new(const Response& response) {
    return response.status == 400 &&
           (response.body.find("is too new") != std::string::npos ||
            response.body.find("client is newer than server") != std::string::npos);
}

Result<Response> DockerClient::request(std::string_view method, std::string_view path,
                                       const std::optional<std::string>& body,
                                       std::string_view content_type) {
    // Before the version is known, the request goes out with ours rather than after a /_ping:
    // one round trip less for every short command. A daemon that knows only older versions
    // refuses it without acting on it; then the usual negotiation follows and it goes again.
    // (Not a HEAD: its refusal would come without the body that says why.)
    if (!version_ && method != "HEAD" && !std::getenv("DOCKER_API_VERSION")) {
        ApiVersion ours = *parse_api_version(kClientApiVersion);
        Response response =
            TRY(send_request(method, "/v" + ours.str() + std::string(path), body, content_type));
        if (!version_too_new(response)) {
            // It took ours; one that names its own version gets the lower of the two.
            version_ = response.api_version ? negotiate_version(ours, response.api_version) : ours;
            return response;
        }
    }
    return send_request(method, TRY(versioned(path)), body, content_type);
}

Result<Response> DockerClient::send_request(std::string_view method, const std::string& target,
                                            const std::optional<std::string>& body,
                                            std::string_view content_type) {
    auto connection = TRY(connect());
    bool sends_body = body.has_value() || method == "POST" || method == "PUT";
    std::optional<size_t> length;
    if (sends_body) length = body ? body->size() : 0;
    TRY(connection->write_all(request_head(method, target, content_type, length, false, false) +
                              body.value_or("")));
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (method == "HEAD") parser.skip(true);
    boost::system::error_code ec;
    http::read(*connection, connection->buffer, parser, ec);
    if (ec) return std::unexpected(connection->failure(ec, "read response from daemon"));
    Response response{parser.get().result_int(), std::move(parser.get().body()), ""};
    if (auto it = parser.get().find("X-Docker-Container-Path-Stat"); it != parser.get().end())
        response.path_stat = std::string(it->value());
    if (auto it = parser.get().find("Api-Version"); it != parser.get().end())
        response.api_version =
            parse_api_version(std::string_view(it->value().data(), it->value().size()));
    return response;
}

Result<Json> DockerClient::call(std::string_view method, std::string_view path,
                                const std::optional<Json>& body) {
    std::optional<std::string> text;
    if (body) text = body->dump();
    Response response = TRY(request(method, path, text));
    if (!response.ok()) return std::unexpected(daemon_error(response.status, response.body));
    if (response.body.find_first_not_of(" \r\n\t") == std::string::npos) return Json();
    return parse_json(response.body, "daemon response");
}

Result<std::unique_ptr<BodyReader>> DockerClient::stream(std::string_view method,
                                                         std::string_view path,
                                                         std::optional<std::string> body,
                                                         int upload_fd,
                                                         std::string_view content_type) {
    std::string target = TRY(versioned(path));
    auto connection = TRY(connect());
    if (upload_fd >= 0) {
        TRY(connection->write_all(
            request_head(method, target, content_type, std::nullopt, true, false)));
        std::string chunk;
        char buffer[65536];
        while (true) {
            ssize_t got = ::read(upload_fd, buffer, sizeof buffer);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return fail_errno("read request body");
            if (got == 0) break;
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", static_cast<size_t>(got));
            chunk.assign(size);
            chunk.append(buffer, static_cast<size_t>(got));
            chunk += "\r\n";
            // A daemon that refuses early closes its side; its answer is still worth reading.
            if (!connection->write_all(chunk)) break;
        }
        (void)connection->write_all("0\r\n\r\n");
    } else {
        std::optional<size_t> length;
        if (body || method == "POST" || method == "PUT") length = body ? body->size() : 0;
        TRY(connection->write_all(request_head(method, target, content_type, length, false, false) +
                                  body.value_or("")));
    }
    auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    boost::system::error_code ec;
    http::read_header(*connection, connection->buffer, *parser, ec);
    if (ec) return std::unexpected(connection->failure(ec, "read response from daemon"));
    unsigned status = parser->get().result_int();
    auto reader = std::make_unique<ParserBodyReader>(std::move(connection), std::move(parser));
    if ((status < 200 || status >= 300) && status != 304) {
        std::string text;
        char chunk[4096];
        while (size_t got = TRY(reader->read_some(chunk, sizeof chunk)))
            text.append(chunk, got);
        return std::unexpected(daemon_error(status, text));
    }
    return reader;
}

namespace {

class PendingResponse : public PendingCall {
  public:
    explicit PendingResponse(std::unique_ptr<detail::Connection> connection)
        : connection_(std::move(connection)), buffer_(connection_->buffer) {
        parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
    }

    Result<bool> head_arrived(int timeout_ms) override {
        if (parser_.is_header_done()) return true;
        bool buffered = buffer_.size() > 0 || (connection_->tls && connection_->tls->pending());
        if (!buffered) {
            pollfd fd{connection_->socket.native_handle(), POLLIN, 0};
            int ready = ::poll(&fd, 1, timeout_ms);
            if (ready < 0 && errno != EINTR) return fail_errno("poll");
            if (ready <= 0) return false;
        }
        boost::system::error_code ec;
        http::read_header(*connection_, buffer_, parser_, ec);
        if (ec) return std::unexpected(connection_->failure(ec, "read response from daemon"));
        return true;
    }

    Result<Response> finish() override {
        boost::system::error_code ec;
        http::read(*connection_, buffer_, parser_, ec);
        if (ec) return std::unexpected(connection_->failure(ec, "read response from daemon"));
        return Response{parser_.get().result_int(), std::move(parser_.get().body()), ""};
    }

  private:
    std::unique_ptr<detail::Connection> connection_;
    boost::beast::flat_buffer& buffer_;
    http::response_parser<http::string_body> parser_;
};

}  // namespace

Result<std::unique_ptr<PendingCall>> DockerClient::begin(std::string_view method,
                                                         std::string_view path,
                                                         std::optional<std::string> body) {
    std::string target = TRY(versioned(path));
    auto connection = TRY(connect());
    std::optional<size_t> length;
    if (body || method == "POST" || method == "PUT") length = body ? body->size() : 0;
    TRY(connection->write_all(
        request_head(method, target, "application/json", length, false, false) +
        body.value_or("")));
    return std::make_unique<PendingResponse>(std::move(connection));
}

Result<Hijacked> DockerClient::hijack(std::string_view path,
                                      const std::optional<std::string>& body) {
    std::string target = TRY(versioned(path));
    auto connection = TRY(connect());
    std::string text = body.value_or("");
    TRY(connection->write_all(
        request_head("POST", target, "application/json", text.size(), false, true) + text));
    http::response_parser<http::string_body> parser;
    boost::system::error_code ec;
    http::read_header(*connection, connection->buffer, parser, ec);
    if (ec) return std::unexpected(connection->failure(ec, "read response from daemon"));
    unsigned status = parser.get().result_int();
    if (status != 101 && status != 200) {
        http::read(*connection, connection->buffer, parser, ec);
        return std::unexpected(daemon_error(status, parser.get().body()));
    }
    Hijacked hijacked;
    auto data = connection->buffer.data();
    hijacked.leftover.assign(static_cast<const char*>(data.data()), data.size());
    UniqueFd socket(connection->socket.release(ec));
    if (ec) return fail(ErrorKind::Internal, "take over daemon socket: " + ec.message());
    if (!connection->tls) {
        hijacked.fd = std::move(socket);
        return hijacked;
    }
    // Over TLS the stream goes on through the session: a thread bridges it to a plain socket,
    // which the caller uses as it would the daemon's own (poll, read, write, shutdown). A daemon
    // may hang up without close_notify; a closed socket (detach) still sends what it wrote.
    hijacked.tls = std::move(connection->tls);
    hijacked.socket = std::move(socket);
    auto [bridge, local] =
        TRY(tls::TlsBridge::start(hijacked.tls->ssl(), hijacked.socket.get(),
                                  {.peer_hangup_ends = true, .local_close_ends = true}));
    hijacked.bridge = std::move(bridge);
    hijacked.fd = std::move(local);
    return hijacked;
}

}  // namespace berth::client
