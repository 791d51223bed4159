#include "api/http_connection.h"

#include <malloc.h>
#include <poll.h>
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
#include <optional>

#include "api/api_error.h"
#include "api/transport.h"

namespace berth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif

constexpr size_t kHeaderLimit = 64 * 1024;
// How much of a body nobody wanted is read to keep the connection (Go's server reads 256 KiB);
// past that the response closes it, after a lingering close (transport.h).
constexpr size_t kDrainLimit = 1 << 20;

Error io_error(std::string_view what, const beast::error_code& ec) {
    return Error(ErrorKind::Unavailable, std::string(what) + ": " + ec.message());
}

// A body that breaks HTTP's framing (a bad chunk size) is the client's fault, unlike a
// connection that went away.
bool is_malformed(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message &&
           ec != http::error::need_more && ec != http::error::need_buffer;
}

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
    int hangup_fd() const override { return transport_.fd(); }
    // The request cannot be read on (its header was malformed): nothing to drain.
    void abandon_body() { body_failed_ = true; }

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
            if (ec) {
                body_failed_ = true;
                if (is_malformed(ec))
                    return fail(ErrorKind::InvalidArgument,
                                "malformed request body: " + ec.message());
                return std::unexpected(io_error("read request body", ec));
            }
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
        settle_body();
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
        settle_body();
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
    // A body the handler left unread (a route that takes none, an error before reading) is read
    // and dropped, up to a bound, so that the response can keep the connection alive. A client
    // still waiting for 100 Continue has sent nothing to drop.
    void settle_body() {
        if (parser_.is_done() || body_failed_) return;
        if (!continue_sent_ && request_.header("expect") == "100-continue") return;
        char scratch[16384];
        for (size_t dropped = 0; dropped <= kDrainLimit;) {
            auto n = read_body(scratch, sizeof scratch);
            if (!n || *n == 0) return;
            dropped += *n;
        }
    }

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
    bool body_failed_ = false;
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

using RequestParser = http::request_parser<http::buffer_body>;

// Reads from the socket in pieces of this size while a header comes.
constexpr size_t kReadChunk = 16 * 1024;

HttpConnection::Next next_for(IoWait wait) {
    return wait == IoWait::Writable ? HttpConnection::Next::WaitWritable
                                    : HttpConnection::Next::WaitReadable;
}

void log_request(const ConnectionHooks& hooks, const RequestParser& parser, int status,
                 std::chrono::steady_clock::time_point start) {
    if (!hooks.log_request) return;
    auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
    char took[32];
    std::snprintf(took, sizeof took, "%.1fms", elapsed.count());
    hooks.log_request(std::string(parser.get().method_string()) + " " +
                      std::string(parser.get().target()) + " " + std::to_string(status) + " " +
                      took);
}

}  // namespace

struct HttpConnection::State {
    std::unique_ptr<Transport> transport;
    beast::flat_buffer buffer;
    std::optional<RequestParser> parser;
    beast::error_code header_error;  // the header could not be parsed: serve() says so
    bool handshake_done = false;
    uint64_t moved_at_last_trim = 0;

    void new_parser() {
        parser.emplace();
        parser->header_limit(kHeaderLimit);
        // Image tars have no size limit (handlers stream them). Not boost::none: Beast 1.74
        // compares a Content-Length with the optional and takes none for smaller than any.
        parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    }
    // Feeds what was read to the parser: true once the header is complete or malformed. An
    // incomplete header stays in the buffer (Beast takes a header in one piece).
    bool header_ready() {
        if (buffer.size() == 0) return false;
        beast::error_code ec;
        buffer.consume(parser->put(buffer.data(), ec));
        if (ec == http::error::need_more || (!ec && !parser->is_header_done())) return false;
        header_error = ec;
        return true;
    }
    // A load or save leaves megabytes of freed buffers in the thread's malloc arena; give them
    // back so that an idle daemon is small again. Not after every request: the trim walks every
    // arena, ~0.1 ms that a `run` paid four times.
    void trim_if_moved_much() {
        uint64_t moved = transport->bytes_moved();
        if (moved - moved_at_last_trim < kTrimAfterBytes) return;
        moved_at_last_trim = moved;
        ::malloc_trim(0);
    }
    // A header that could not be parsed: 431 when too large, else 400; the connection ends.
    void refuse_bad_header(Stream& socket) {
        BeastExchange exchange(*transport, socket, buffer, *parser);
        exchange.abandon_body();
        bool too_large = header_error == http::error::header_limit;
        (void)static_cast<Exchange&>(exchange).respond(
            too_large ? 431 : 400, "application/json",
            error_body((too_large ? "request header too large: " : "bad request: ") +
                       header_error.message()));
    }
};

Result<std::unique_ptr<HttpConnection>> HttpConnection::accept(UniqueFd fd, const TlsContext* tls) {
    auto state = std::make_unique<State>();
    state->transport = TRY(Transport::make(std::move(fd), tls));
    state->handshake_done = tls == nullptr;
    return std::unique_ptr<HttpConnection>(new HttpConnection(std::move(state)));
}

HttpConnection::HttpConnection(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpConnection::~HttpConnection() {
    if (state_->transport) state_->transport->close(false);
}

int HttpConnection::fd() const {
    return state_->transport->fd();
}

bool HttpConnection::handshaking() const {
    return !state_->handshake_done;
}

bool HttpConnection::idle() const {
    return state_->handshake_done && state_->buffer.size() == 0 &&
           (!state_->parser || !state_->parser->got_some());
}

HttpConnection::Next HttpConnection::advance(const ConnectionHooks& hooks) {
    State& s = *state_;
    if (!s.handshake_done) {
        auto wait = s.transport->handshake();
        if (!wait) {
            if (hooks.log_error) hooks.log_error(wait.error().message());
            return Next::Close;
        }
        if (*wait != IoWait::None) return next_for(*wait);
        s.handshake_done = true;
    }
    if (!s.parser) s.new_parser();
    for (;;) {
        if (s.header_ready()) return Next::Serve;
        // Read onto the stack: a connection that waits holds no buffer it has nothing in.
        char chunk[kReadChunk];
        IoWait wait = IoWait::None;
        beast::error_code ec;
        size_t n = s.transport->try_read(chunk, sizeof chunk, wait, ec);
        if (wait != IoWait::None) return next_for(wait);
        // A client gone before or within a header gets nothing, as a malformed one would not.
        if (ec) return Next::Close;
        s.buffer.commit(asio::buffer_copy(s.buffer.prepare(n), asio::buffer(chunk, n)));
    }
}

HttpConnection::Outcome HttpConnection::serve(const Router& router, const ConnectionHooks& hooks) {
    State& s = *state_;
    s.transport->set_blocking(true);
    Stream socket(*s.transport);
    auto end = [&](Outcome outcome, bool linger) {
        if (hooks.releasing) hooks.releasing();
        if (outcome == Outcome::Closed) s.transport->close(linger);
        s.trim_if_moved_much();
        s.transport.reset();
        return outcome;
    };
    for (;;) {
        if (s.header_error) {
            s.refuse_bad_header(socket);
            return end(Outcome::Closed, false);
        }
        auto start = std::chrono::steady_clock::now();
        BeastExchange exchange(*s.transport, socket, s.buffer, *s.parser);
        bool keep = handle(exchange, router, s.parser->get());
        log_request(hooks, *s.parser, exchange.status(), start);
        if (exchange.hijacked()) {
            // A bridged TLS stream is still ours until its pump ends; the server may shut it.
            s.transport->wait_hijacked();
            return end(Outcome::Hijacked, false);
        }
        if (!keep || !s.parser->get().keep_alive())
            return end(Outcome::Closed, !s.parser->is_done());
        s.new_parser();
        if (!s.header_ready()) break;  // the next request, if any, is not all here yet
    }
    s.transport->set_blocking(false);
    s.trim_if_moved_much();
    if (s.buffer.size() == 0) {
        // At rest: only what the next request needs stays allocated.
        s.parser.reset();
        s.buffer.shrink_to_fit();
    }
    return Outcome::Idle;
}

void HttpConnection::refuse(std::string_view why) {
    if (!state_->transport) return;
    std::string body = error_body(std::string(why));
    state_->transport->try_write(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    state_->transport->close(false);
    state_->transport.reset();
}

void serve_connection(int fd, const TlsContext* tls, const Router& router,
                      const ConnectionHooks& hooks) {
    auto connection = HttpConnection::accept(UniqueFd(fd), tls);
    if (!connection) {
        if (hooks.log_error) hooks.log_error(connection.error().message());
        if (hooks.releasing) hooks.releasing();
        return;
    }
    for (;;) {
        auto next = (*connection)->advance(hooks);
        if (next == HttpConnection::Next::Close) break;
        if (next == HttpConnection::Next::Serve) {
            if ((*connection)->serve(router, hooks) != HttpConnection::Outcome::Idle) return;
            continue;
        }
        pollfd wait{
            (*connection)->fd(),
            static_cast<short>(next == HttpConnection::Next::WaitWritable ? POLLOUT : POLLIN), 0};
        if (::poll(&wait, 1, -1) < 0 && errno != EINTR) break;
    }
    if (hooks.releasing) hooks.releasing();
}

}  // namespace berth::api
