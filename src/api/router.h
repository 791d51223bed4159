// Router: method + path pattern → handler. Every route answers both unversioned and under
// /vX.Y/; the version is checked against what berthd supports and recorded in the request.
//
// Patterns are '/'-separated: literal segments, "{name}" (one segment) and "{name*}" (one or more
// segments, for image names such as localhost:5000/a/b:tag, matched before a known suffix:
// "/images/{name*}/json"). Routes are tried in the order they were added.
//
// Thread safety: add() before serving; route() may then be called from any thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/exchange.h"
#include "api/request.h"
#include "base/error.h"

namespace berth::api {

using Handler = std::function<Result<void>(Exchange&)>;

struct RouteMatch {
    const Handler* handler = nullptr;
    std::string path;  // without the version prefix
    ApiVersion version = kMaxApiVersion;
    std::map<std::string, std::string, std::less<>> params;
};

class Router {
  public:
    void add(std::string method, std::string_view pattern, Handler handler);

    // `path` is the decoded path of the request target (no query). Errors: InvalidArgument for
    // an unsupported /vX.Y/ (docker's wording), NotFound when no route matches.
    Result<RouteMatch> route(std::string_view method, std::string_view path) const;

  private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

// "/v1.47/images/json" -> version 1.47 and "/images/json"; an unversioned path is kept as it is.
Result<std::pair<std::optional<ApiVersion>, std::string>> split_version(std::string_view path);

}  // namespace berth::api
