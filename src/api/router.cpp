#include "api/router.h"

#include "base/parse_int.h"

namespace berth::api {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > start) segments.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return segments;
}

bool is_param(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches pattern[p..] against path[s..]; a greedy parameter tries the longest span first, so
// "/images/{name*}/json" takes "a/json/json" as name "a/json".
bool match(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& path,
           size_t s, std::map<std::string, std::string, std::less<>>& params) {
    if (p == pattern.size()) return s == path.size();
    if (s == path.size()) return false;
    const std::string& segment = pattern[p];
    if (!is_param(segment)) return segment == path[s] && match(pattern, p + 1, path, s + 1, params);
    std::string name = segment.substr(1, segment.size() - 2);
    if (!name.ends_with('*')) {
        if (!match(pattern, p + 1, path, s + 1, params)) return false;
        params[name] = path[s];
        return true;
    }
    name.pop_back();
    size_t rest = pattern.size() - p - 1;  // segments the pattern still needs after this one
    if (path.size() - s < rest + 1) return false;
    for (size_t end = path.size() - rest; end > s; end--) {
        if (!match(pattern, p + 1, path, end, params)) continue;
        std::string value = path[s];
        for (size_t i = s + 1; i < end; i++)
            value += "/" + path[i];
        params[name] = std::move(value);
        return true;
    }
    return false;
}

}  // namespace

Result<std::pair<std::optional<ApiVersion>, std::string>> split_version(std::string_view path) {
    if (!path.starts_with("/v"))
        return std::pair<std::optional<ApiVersion>, std::string>{std::nullopt, std::string(path)};
    size_t slash = path.find('/', 1);
    std::string_view text = path.substr(2, slash == std::string_view::npos ? path.npos : slash - 2);
    // Like docker's "/v{version:[0-9.]+}": anything else is an ordinary path ("/version").
    if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos)
        return std::pair<std::optional<ApiVersion>, std::string>{std::nullopt, std::string(path)};
    size_t dot = text.find('.');
    auto major = parse_int<int>(text.substr(0, dot));
    auto minor =
        dot == std::string_view::npos ? std::nullopt : parse_int<int>(text.substr(dot + 1));
    if (!major || !minor)
        return fail(ErrorKind::InvalidArgument,
                    "invalid API version \"" + std::string(text) + "\" in the request path");
    ApiVersion version{*major, *minor};
    std::string rest = slash == std::string_view::npos ? "/" : std::string(path.substr(slash));
    if (version > kMaxApiVersion)
        return fail(ErrorKind::InvalidArgument,
                    "client version " + std::string(text) +
                        " is too new. Maximum supported API version is " + kMaxApiVersion.str());
    if (version < kMinApiVersion)
        return fail(ErrorKind::InvalidArgument,
                    "client version " + std::string(text) +
                        " is too old. Minimum supported API version is " + kMinApiVersion.str() +
                        ", please upgrade your client to a newer version");
    return std::pair<std::optional<ApiVersion>, std::string>{version, std::move(rest)};
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
    routes_.push_back({std::move(method), split_path(pattern), std::move(handler)});
}

Result<RouteMatch> Router::route(std::string_view method, std::string_view path) const {
    auto [version, rest] = TRY(split_version(path));
    RouteMatch result;
    result.path = rest;
    if (version) result.version = *version;
    std::vector<std::string> segments = split_path(rest);
    for (auto& route : routes_) {
        // HEAD is answered by the GET route; the server leaves the body out.
        if (route.method != method && !(method == "HEAD" && route.method == "GET")) continue;
        std::map<std::string, std::string, std::less<>> params;
        if (!match(route.segments, 0, segments, 0, params)) continue;
        result.handler = &route.handler;
        result.params = std::move(params);
        return result;
    }
    return fail(ErrorKind::NotFound, "page not found");
}

}  // namespace berth::api
