#include "api/http_connection.h"

#include <malloc.h>
#include <sys/socket.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>

#include "api/api_error.h"
#include "base/tls_bridge.h"

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif

constexpr size_t kHeaderLimit = 64 * 1024;

Error io_error(std::string_view what, const beast::error_code& ec) {
    return Error(ErrorKind::Unavailable, std::string(what) + ": " + ec.message());
}

// The bytes under one HTTP connection: the socket itself, or TLS over it. Errors come as
// error codes because Beast wants them so; the end of the stream is asio::error::eof.
class Transport {
  public:
    virtual ~Transport() = default;
    virtual size_t read_some(char* data, size_t size, beast::error_code& ec) = 0;
    virtual size_t write_some(const char* data, size_t size, beast::error_code& ec) = 0;
    // Hands the connection over (exchange.h: HijackedConnection). Nothing is read or written
    // through this object afterwards.
    virtual Result<HijackedConnection> hijack(std::string buffered) = 0;
    // After the loop: waits for whatever still serves a hijacked connection.
    virtual void wait_hijacked() {}
    // Ends a connection that was not hijacked.
    virtual void close() = 0;
    // Bytes read and written so far, hijacked streams not included.
    uint64_t bytes_moved() const { return moved_; }

  protected:
    size_t count(size_t n) {
        moved_ += n;
        return n;
    }

  private:
    uint64_t moved_ = 0;
};

beast::error_code errno_code(int err) {
    return beast::error_code(err, boost::system::system_category());
}

class PlainTransport final : public Transport {
  public:
    explicit PlainTransport(UniqueFd fd) : fd_(std::move(fd)) {}

    size_t read_some(char* data, size_t size, beast::error_code& ec) override {
        for (;;) {
            ssize_t n = ::recv(fd_.get(), data, size, 0);
            if (n > 0) return count(static_cast<size_t>(n));
            if (n == 0) {
                ec = asio::error::eof;
                return 0;
            }
            if (errno == EINTR) continue;
            ec = errno_code(errno);
            return 0;
        }
    }
    size_t write_some(const char* data, size_t size, beast::error_code& ec) override {
        for (;;) {
            ssize_t n = ::send(fd_.get(), data, size, MSG_NOSIGNAL);
            if (n >= 0) return count(static_cast<size_t>(n));
            if (errno == EINTR) continue;
            ec = errno_code(errno);
            return 0;
        }
    }
    Result<HijackedConnection> hijack(std::string buffered) override {
        return HijackedConnection{std::move(fd_), std::move(buffered), false};
    }
    void close() override {
        if (fd_) ::shutdown(fd_.get(), SHUT_RDWR);
        fd_.reset();
    }

  private:
    UniqueFd fd_;
};

class TlsTransport final : public Transport {
  public:
    explicit TlsTransport(std::unique_ptr<TlsConnection> connection)
        : connection_(std::move(connection)) {}

    size_t read_some(char* data, size_t size, beast::error_code& ec) override {
        auto n = connection_->read(data, size);
        if (!n)
            ec = errno_code(n.error().sys_errno() ? n.error().sys_errno() : EPROTO);
        else if (*n == 0)
            ec = asio::error::eof;
        return count(n.value_or(0));
    }
    size_t write_some(const char* data, size_t size, beast::error_code& ec) override {
        auto n = connection_->write(data, size);
        if (!n) ec = errno_code(n.error().sys_errno() ? n.error().sys_errno() : EPROTO);
        return count(n.value_or(0));
    }
    Result<HijackedConnection> hijack(std::string buffered) override {
        // berthd's side: a client that vanishes, or a local side that does while the client's
        // bytes wait for it, ends the stream at once (the default options).
        auto [bridge, fd] = TRY(TlsBridge::start(connection_->ssl(), connection_->fd()));
        bridge_ = std::move(bridge);
        return HijackedConnection{std::move(fd), std::move(buffered), true};
    }
    void wait_hijacked() override {
        if (bridge_) bridge_->wait();
    }
    void close() override {
        if (!connection_ || bridge_) return;  // after a hijack the bridge ends the connection
        connection_->send_close_notify();
        ::shutdown(connection_->fd(), SHUT_RDWR);
        connection_.reset();
    }

  private:
    std::unique_ptr<TlsConnection> connection_;
    std::unique_ptr<TlsBridge> bridge_;  // after a hijack: uses connection_, destroyed first
};

constexpr size_t kCoalesceLimit = 16 * 1024;
constexpr uint64_t kTrimAfterBytes = 1 << 20;

// Beast's SyncReadStream and SyncWriteStream over a Transport. A write of many small buffers
// (a chunk header, its data, CRLF) goes out as one: one syscall, and one TLS record.
class Stream {
  public:
    explicit Stream(Transport& transport) : transport_(transport) {}

    template <typename Buffers>
    size_t read_some(const Buffers& buffers, beast::error_code& ec) {
        ec = {};
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it) {
            asio::mutable_buffer buffer = *it;
            if (buffer.size() > 0)
                return transport_.read_some(static_cast<char*>(buffer.data()), buffer.size(), ec);
        }
        return 0;
    }
    template <typename Buffers>
    size_t read_some(const Buffers& buffers) {
        beast::error_code ec;
        size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }
    template <typename Buffers>
    size_t write_some(const Buffers& buffers, beast::error_code& ec) {
        ec = {};
        size_t total = asio::buffer_size(buffers);
        if (total == 0) return 0;
        if (total <= kCoalesceLimit) {
            char joined[kCoalesceLimit];
            asio::buffer_copy(asio::buffer(joined, total), buffers);
            return transport_.write_some(joined, total, ec);
        }
        for (auto it = asio::buffer_sequence_begin(buffers);
             it != asio::buffer_sequence_end(buffers); ++it) {
            asio::const_buffer buffer = *it;
            if (buffer.size() > 0)
                return transport_.write_some(static_cast<const char*>(buffer.data()), buffer.size(),
                                             ec);
        }
        return 0;
    }
    template <typename Buffers>
    size_t write_some(const Buffers& buffers) {
        beast::error_code ec;
        size_t n = write_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

  private:
    Transport& transport_;
};

// Headers every response carries, as dockerd's version middleware adds them.
template <typename Message>
void set_common_headers(Message& message) {
    message.set(http::field::server, "berth/" BERTH_VERSION " (linux)");
    message.set("Api-Version", kMaxApiVersion.str());
    message.set("OSType", "linux");
}

class BeastExchange final : public Exchange {
  public:
    BeastExchange(Transport& transport, Stream& stream, beast::flat_buffer& buffer,
                  http::request_parser<http::buffer_body>& parser)
        : transport_(transport), socket_(stream), buffer_(buffer), parser_(parser) {}

    int status() const { return status_; }
    bool streaming() const { return streaming_; }
    bool hijacked() const { return hijacked_; }
    bool body_done() const { return parser_.is_done(); }

    Result<size_t> read_body(char* data, size_t size) override {
        if (size == 0) return 0;
        if (!continue_sent_ && request_.header("expect") == "100-continue") {
            continue_sent_ = true;
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            beast::error_code ec;
            asio::write(socket_, asio::buffer(kContinue.data(), kContinue.size()), ec);
            if (ec) return std::unexpected(io_error("write 100 Continue", ec));
        }
        // A chunk header may be parsed without yielding body bytes: go on until some arrive.
        while (!parser_.is_done()) {
            auto& body = parser_.get().body();
            body.data = data;
            body.size = size;
            beast::error_code ec;
            http::read(socket_, buffer_, parser_, ec);
            if (ec == http::error::need_buffer) ec = {};
            if (ec) return std::unexpected(io_error("read request body", ec));
            size_t got = size - parser_.get().body().size;
            if (got > 0) return got;
        }
        return 0;
    }

    Result<void> respond(int status, std::string_view content_type, std::string_view body,
                         const Fields& headers) override {
        if (responded_) return fail(ErrorKind::Internal, "a response was sent already");
        responded_ = true;
        status_ = status;
        beast::error_code ec;
        if (request_.method == "HEAD") {
            http::response<http::empty_body> response{static_cast<http::status>(status), 11};
            prepare(response, content_type, headers);
            response.set(http::field::content_length, std::to_string(body.size()));
            http::write(socket_, response, ec);
        } else {
            http::response<http::string_body> response{static_cast<http::status>(status), 11};
            prepare(response, content_type, headers);
            response.body() = std::string(body);
            response.prepare_payload();
            http::write(socket_, response, ec);
        }
        if (ec) return std::unexpected(io_error("write response", ec));
        return {};
    }

    Result<void> begin_stream(int status, std::string_view content_type,
                              const Fields& headers) override {
        if (responded_) return fail(ErrorKind::Internal, "a response was sent already");
        responded_ = true;
        streaming_ = true;
        status_ = status;
        http::response<http::empty_body> response{static_cast<http::status>(status), 11};
        prepare(response, content_type, headers);
        response.chunked(true);
        http::response_serializer<http::empty_body> serializer{response};
        beast::error_code ec;
        http::write_header(socket_, serializer, ec);
        if (ec) return std::unexpected(io_error("write response header", ec));
        return {};
    }

    Result<void> write(std::string_view data) override {
        if (!streaming_) return fail(ErrorKind::Internal, "write before begin_stream");
        if (data.empty()) return {};  // an empty chunk would end the stream
        beast::error_code ec;
        asio::write(socket_, http::make_chunk(asio::buffer(data.data(), data.size())), ec);
        if (ec) return std::unexpected(io_error("write response", ec));
        return {};
    }

    Result<void> end_stream() override {
        if (!streaming_) return fail(ErrorKind::Internal, "end_stream before begin_stream");
        streaming_ = false;
        beast::error_code ec;
        asio::write(socket_, http::make_chunk_last(), ec);
        if (ec) return std::unexpected(io_error("write response", ec));
        return {};
    }

    Result<HijackedConnection> hijack(std::string_view response_head) override {
        if (responded_) return fail(ErrorKind::Internal, "a response was sent already");
        responded_ = true;
        status_ = 101;
        beast::error_code ec;
        asio::write(socket_, asio::buffer(response_head.data(), response_head.size()), ec);
        if (ec) return std::unexpected(io_error("write response header", ec));
        auto pending = buffer_.data();
        std::string buffered(static_cast<const char*>(pending.data()), pending.size());
        buffer_.consume(pending.size());
        // Hijacked even when handing over fails: the 101 has gone, HTTP is over either way.
        hijacked_ = true;
        return TRY_CTX(transport_.hijack(std::move(buffered)), "take over the connection");
    }

  private:
    template <typename Message>
    void prepare(Message& message, std::string_view content_type, const Fields& headers) {
        set_common_headers(message);
        if (!content_type.empty())
            message.set(http::field::content_type,
                        beast::string_view(content_type.data(), content_type.size()));
        for (auto& [name, value] : headers)
            message.set(name, value);
        // A body left unread ends the connection after this response: say so.
        message.keep_alive(parser_.get().keep_alive() && parser_.is_done());
    }

    Transport& transport_;
    Stream& socket_;
    beast::flat_buffer& buffer_;
    http::request_parser<http::buffer_body>& parser_;
    int status_ = 0;
    bool streaming_ = false;
    bool hijacked_ = false;
    bool continue_sent_ = false;
};

Result<void> fill_request(Request& request, const http::request<http::buffer_body>& message) {
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (auto& field : message) {
        std::string name(field.name_string());
        for (auto& c : name)
            c = static_cast<char>(::tolower(static_cast<unsigned char>(c)));
        request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    std::string_view target = request.target;
    size_t question = target.find('?');
    request.path = TRY(percent_decode(target.substr(0, question), false));
    if (question != std::string_view::npos)
        request.query = TRY(parse_query(target.substr(question + 1)));
    return {};
}

// Routes and runs one request. Returns false when the connection must be closed afterwards.
bool handle(BeastExchange& beast_exchange, const Router& router,
            const http::request<http::buffer_body>& message) {
    Exchange& exchange = beast_exchange;  // the interface carries the default arguments
    Request& request = exchange.request();
    auto run = [&]() -> Result<void> {
        TRY(fill_request(request, message));
        RouteMatch match = TRY(router.route(request.method, request.path));
        request.path = std::move(match.path);
        request.version = match.version;
        request.params = std::move(match.params);
        return (*match.handler)(exchange);
    };
    Result<void> result;
    try {
        result = run();
    } catch (const std::exception& e) {
        // Exceptions stop here: a library throwing on odd input costs this request only.
        result = fail(ErrorKind::Internal, std::string("internal error: ") + e.what());
    }
    if (beast_exchange.hijacked()) return false;
    if (!result) {
        if (exchange.responded()) return false;
        auto sent = exchange.respond(http_status(result.error().kind()), "application/json",
                                     error_body(result.error().message()));
        return sent.has_value() && beast_exchange.body_done();
    }
    if (!exchange.responded()) {
        (void)exchange.respond(500, "application/json",
                               error_body("internal error: the handler sent no response"));
        return false;
    }
    if (beast_exchange.streaming()) return false;  // the handler never ended its stream
    // A body the handler left unread would be taken for the next request.
    return beast_exchange.body_done();
}

}  // namespace

void serve_connection(int fd, const TlsContext* tls, const Router& router,
                      const ConnectionHooks& hooks) {
    std::unique_ptr<Transport> transport;
    if (tls) {
        UniqueFd owned(fd);
        auto connection = TlsConnection::accept(*tls, owned);
        if (!connection) {
            if (hooks.log_error) hooks.log_error(connection.error().message());
            if (hooks.releasing) hooks.releasing();
            return;
        }
        transport = std::make_unique<TlsTransport>(std::move(*connection));
    } else {
        transport = std::make_unique<PlainTransport>(UniqueFd(fd));
    }
    Stream socket(*transport);
    beast::error_code ec;
    beast::flat_buffer buffer;
    bool hijacked = false;
    for (;;) {
        http::request_parser<http::buffer_body> parser;
        parser.header_limit(kHeaderLimit);
        // Image tars have no size limit (handlers stream them). Not boost::none: Beast 1.74
        // compares a Content-Length with the optional and takes none for smaller than any.
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        http::read_header(socket, buffer, parser, ec);
        if (ec) {
            // A malformed request gets a 400; a closed or reset connection gets nothing.
            bool malformed =
                ec.category() == http::make_error_code(http::error::bad_target).category() &&
                ec != http::error::end_of_stream && ec != http::error::partial_message;
            if (malformed) {
                BeastExchange exchange(*transport, socket, buffer, parser);
                (void)static_cast<Exchange&>(exchange).respond(
                    400, "application/json", error_body("bad request: " + ec.message()));
            }
            break;
        }
        auto start = std::chrono::steady_clock::now();
        BeastExchange exchange(*transport, socket, buffer, parser);
        bool keep = handle(exchange, router, parser.get());
        if (hooks.log_request) {
            auto elapsed =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
            char took[32];
            std::snprintf(took, sizeof took, "%.1fms", elapsed.count());
            hooks.log_request(std::string(parser.get().method_string()) + " " +
                              std::string(parser.get().target()) + " " +
                              std::to_string(exchange.status()) + " " + took);
        }
        if (exchange.hijacked()) {
            hijacked = true;
            break;
        }
        if (!keep || !parser.get().keep_alive()) break;
    }
    // A bridged TLS stream is still ours until its pump ends; the server may shut it down.
    if (hijacked) transport->wait_hijacked();
    if (hooks.releasing) hooks.releasing();
    if (!hijacked) transport->close();
    bool moved_much = transport->bytes_moved() >= kTrimAfterBytes;
    transport.reset();
    // A load or save leaves megabytes of freed buffers in this thread's malloc arena; give them
    // back so that an idle daemon is small again. Not after every request: the trim walks every
    // arena, ~0.1 ms that a `run` paid four times.
    if (moved_much) ::malloc_trim(0);
}

}  // namespace berth::api
