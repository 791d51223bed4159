// The Docker Engine API route tables berthd serves, and what their handlers share.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/exchange.h"
#include "api/router.h"
#include "base/json.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/image_service.h"

namespace berth::api {

// What the handlers work on. Everything here outlives the server.
struct Daemon {
    std::string root;       // --root
    std::string engine_id;  // stable across restarts (/info's ID)
    bool debug = false;
    image::ImageService* images = nullptr;
    engine::Engine* engine = nullptr;
    engine::EventBus* events = nullptr;
};

// GET/HEAD /_ping, GET /version, GET /info.
void add_system_routes(Router& router, const Daemon& daemon);
// /images/...: list, inspect, history, tag, delete, get (save), load, prune, create (import).
void add_image_routes(Router& router, const Daemon& daemon);

// /containers/...: lifecycle, attach, wait, list, inspect, prune; /exec/...
void add_container_routes(Router& router, const Daemon& daemon);
// /containers/{id}/logs, stats, top, changes, export, archive.
void add_container_data_routes(Router& router, const Daemon& daemon);
// GET /events, GET /system/df.
void add_event_routes(Router& router, const Daemon& daemon);

// The daemon's ID, kept in <root>/engine-id (made on first start). A file that holds anything
// but an ID (damaged: garbage, NULs, megabytes) gets a new one, and `warn` says so.
Result<std::string> load_engine_id(const std::string& root,
                                   const std::function<void(std::string_view)>& warn = {});

using Filters = std::map<std::string, std::vector<std::string>>;
// The `filters` parameter: {"key":["v1","v2"]}, or the older {"key":{"v1":true}}.
Result<Filters> parse_filters(const Request& request);

// A JSON response (dump on one line and a newline, like dockerd's encoder).
Result<void> respond_json(Exchange& exchange, int status, const Json& body);

}  // namespace berth::api
