// HTTP requests as berthd reads them, up to the handler: Beast's request parser set up as
// api/http_connection.cpp sets it up (64 KiB of header, no body limit, the body decoded into a
// buffer as handlers read it), the request target split as fill_request does (percent_decode,
// parse_query), and the router holding every route berthd serves (Router::route, split_version),
// then the helpers handlers use on the query (query_bool, query_values, parse_filters).
// Handlers do not run: the daemon behind the routes is empty.
//
// Invariants: nothing crashes or throws out; a route is found or refused with NotFound or
// InvalidArgument; a versioned match is within the supported versions and the captured
// parameters come from the path; a decoded body is never longer than what was sent, and a
// Content-Length body decodes to exactly that length.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "api/request.h"
#include "api/router.h"
#include "api/routes.h"
#include "fuzz_util.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace api = berth::api;

const api::Router& router() {
    static const api::Daemon daemon;
    static const api::Router routes = [] {
        api::Router r;
        api::add_system_routes(r, daemon);
        api::add_image_routes(r, daemon);
        api::add_container_routes(r, daemon);
        api::add_container_data_routes(r, daemon);
        api::add_event_routes(r, daemon);
        return r;
    }();
    return routes;
}

void check_route(const std::string& method, const std::string& path) {
    auto match = router().route(method, path);
    if (!match) {
        auto kind = match.error().kind();
        FUZZ_CHECK(kind == berth::ErrorKind::NotFound || kind == berth::ErrorKind::InvalidArgument,
                   "route %s %s: error kind %d", method.c_str(), path.c_str(),
                   static_cast<int>(kind));
        FUZZ_CHECK(!match.error().message().empty(), "route %s %s: empty error", method.c_str(),
                   path.c_str());
        return;
    }
    FUZZ_CHECK(match->handler != nullptr, "a match without a handler");
    FUZZ_CHECK(match->version >= api::kMinApiVersion && match->version <= api::kMaxApiVersion,
               "%s matched with version %s", path.c_str(), match->version.str().c_str());
    FUZZ_CHECK(path.ends_with(match->path) || match->path == "/", "%s matched as %s", path.c_str(),
               match->path.c_str());
    // A {name*} parameter joins its segments with single slashes: look for each on its own.
    for (const auto& [name, value] : match->params) {
        FUZZ_CHECK(!value.empty(), "%s: parameter %s is empty", path.c_str(), name.c_str());
        for (size_t at = 0; at <= value.size();) {
            size_t slash = std::min(value.find('/', at), value.size());
            std::string segment = value.substr(at, slash - at);
            FUZZ_CHECK(!segment.empty() && match->path.find(segment) != std::string::npos,
                       "%s: parameter %s is '%s'", path.c_str(), name.c_str(), value.c_str());
            at = slash + 1;
        }
    }
}

// The request line and headers as fill_request turns them into a Request.
void check_request(const http::request<http::buffer_body>& message) {
    api::Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    std::string_view target = request.target;
    size_t question = target.find('?');
    auto path = api::percent_decode(target.substr(0, question), false);
    if (!path) return;
    if (question != std::string_view::npos) {
        auto query = api::parse_query(target.substr(question + 1));
        if (!query) return;
        request.query = std::move(*query);
    }
    check_route(request.method, *path);
    (void)request.query_bool("all");
    (void)request.query_values("names");
    auto filters = api::parse_filters(request);
    if (!filters) FUZZ_CHECK(!filters.error().message().empty(), "parse_filters: empty error");
}

// Reads the body as BeastExchange::read_body does, in small pieces; returns its length.
uint64_t read_body(http::request_parser<http::buffer_body>& parser, std::string_view& rest,
                   bool& complete) {
    uint64_t total = 0;
    complete = false;
    for (int rounds = 0; !parser.is_done() && rounds < 100000; ++rounds) {
        char piece[509];
        parser.get().body().data = piece;
        parser.get().body().size = sizeof piece;
        beast::error_code ec;
        size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        total += sizeof piece - parser.get().body().size;
        if (ec == http::error::need_buffer) continue;
        if (ec == http::error::need_more && rest.empty()) {
            parser.put_eof(ec);  // the client closed its side
            break;
        }
        if (ec && ec != http::error::need_more) return total;
        if (used == 0 && rest.empty()) break;
    }
    complete = parser.is_done();
    return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    http::request_parser<http::buffer_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::error_code ec;
    size_t used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    if (ec || !parser.is_header_done()) return 0;  // berthd answers 400 or waits for more
    rest.remove_prefix(used);
    try {
        check_request(parser.get());
    } catch (const std::exception& e) {
        FUZZ_CHECK(false, "an exception escaped the request: %s", e.what());
    }
    auto length = parser.content_length();
    size_t sent = rest.size();
    bool complete = false;
    uint64_t body = read_body(parser, rest, complete);
    FUZZ_CHECK(body <= sent, "a body of %llu bytes from %zu sent",
               static_cast<unsigned long long>(body), sent);
    if (length && complete && !parser.chunked())
        FUZZ_CHECK(body == *length, "Content-Length %llu, body %llu",
                   static_cast<unsigned long long>(*length), static_cast<unsigned long long>(body));
    return 0;
}
