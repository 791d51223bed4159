// GET /events (docker's event stream with since/until/filters) and GET /system/df.
#include <poll.h>

#include <algorithm>

#include "api/routes.h"
#include "base/clock.h"
#include "base/parse_int.h"

namespace berth::api {
namespace {

// docker's timestamps: "seconds[.fraction]" or RFC 3339; nanoseconds since the epoch.
Result<int64_t> parse_event_time(std::string_view name, const std::string& text) {
    if (text.empty()) return 0;
    if (auto t = parse_unix_time(text)) return int64_t{t->tv_sec} * 1000000000 + t->tv_nsec;
    if (auto t = parse_rfc3339(text)) return *t * 1000000000;
    return fail(ErrorKind::InvalidArgument, "invalid value for " + std::string(name) + ": " + text);
}

bool matches(const engine::Event& event, const Filters& filters) {
    auto any = [&](const char* key, auto&& match) {
        auto it = filters.find(key);
        return it == filters.end() || it->second.empty() ||
               std::any_of(it->second.begin(), it->second.end(), match);
    };
    const Json& attrs = event.attributes;
    auto attr = [&](const char* key) {
        return attrs.contains(key) && attrs[key].is_string() ? attrs[key].get<std::string>()
                                                             : std::string();
    };
    bool keep =
        any("type", [&](const std::string& v) { return v == event.type; }) &&
        any("event",
            [&](const std::string& v) {
                // "health_status" matches "health_status: healthy", as in docker.
                return v == event.action || event.action.starts_with(v + ":");
            }) &&
        any("container",
            [&](const std::string& v) {
                return event.type == "container" && (event.id.starts_with(v) || attr("name") == v);
            }) &&
        any("image", [&](const std::string& v) {
            return attr("image") == v || (event.type == "image" && event.id.starts_with(v));
        });
    if (auto it = filters.find("label"); it != filters.end())
        for (const auto& label : it->second) {
            size_t eq = label.find('=');
            std::string key = label.substr(0, eq);
            if (!attrs.contains(key)) return false;
            if (eq != std::string::npos && attr(key.c_str()) != label.substr(eq + 1)) return false;
        }
    return keep;
}

constexpr int64_t kHangupCheckNano = 1'000'000'000;

bool client_hung_up(int fd) {
    if (fd < 0) return false;
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0;
}

Result<void> stream_events(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    int64_t since = TRY(parse_event_time("since", r.query_value("since").value_or("")));
    // since=0 is the epoch, so all the history (the bus reads 0 as no since at all).
    if (!r.query_value("since").value_or("").empty()) since = std::max<int64_t>(since, 1);
    int64_t until = TRY(parse_event_time("until", r.query_value("until").value_or("")));
    Filters filters = TRY(parse_filters(r));
    for (const auto& [key, values] : filters)
        if (key != "type" && key != "event" && key != "container" && key != "image" &&
            key != "label")
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
    auto [past, subscription] = d.events->subscribe(since);
    struct Unsubscribe {
        engine::EventBus* bus;
        std::shared_ptr<engine::EventBus::Subscription> subscription;
        ~Unsubscribe() { bus->unsubscribe(subscription); }
    } unsubscribe{d.events, subscription};
    TRY(e.begin_stream(200, "application/json"));
    auto send = [&](const engine::Event& event) -> Result<void> {
        if (until > 0 && event.time_nano > until) return {};
        if (!matches(event, filters)) return {};
        return e.write(engine::event_json(event).dump() + "\n");
    };
    for (const auto& event : past)
        TRY(send(event));
    // With until in the past, only history is wanted.
    if (until > 0 && until <= engine::now_nano()) return e.end_stream();
    for (;;) {
        // Woken now and then to notice a client that left, which would hold this thread until
        // the next event.
        int64_t tick = engine::now_nano() + kHangupCheckNano;
        int64_t deadline = until > 0 ? std::min(until, tick) : tick;
        auto event = subscription->next(deadline);
        if (!event) {
            int64_t now = engine::now_nano();
            if ((until > 0 && now >= until) || now < deadline) break;  // until, or shutdown
            if (client_hung_up(e.hangup_fd())) return {};
            continue;
        }
        if (until > 0 && event->time_nano > until) break;
        TRY(send(*event));
    }
    return e.end_stream();
}

Result<void> disk_usage(const Daemon& d, Exchange& e) {
    std::map<std::string, int> containers_per_image;
    for (const auto& id : d.engine->image_ids_in_use())
        containers_per_image[id]++;
    Json images = Json::array();
    int64_t layers_size = 0;
    for (auto& record : TRY(d.images->list())) {
        Json summary = TRY(d.images->summary(record));
        summary["Containers"] = containers_per_image[record.id.str()];
        layers_size += record.size;
        images.push_back(std::move(summary));
    }
    engine::ListOptions options;
    options.all = true;
    options.size = true;
    auto containers = TRY(d.engine->list(options));
    return respond_json(e, 200,
                        {{"LayersSize", layers_size},
                         {"Images", images},
                         {"Containers", containers},
                         {"Volumes", Json::array()},
                         {"BuildCache", Json::array()}});
}

}  // namespace

void add_event_routes(Router& router, const Daemon& daemon) {
    const Daemon* d = &daemon;
    router.add("GET", "/events", [d](Exchange& e) { return stream_events(*d, e); });
    router.add("GET", "/system/df", [d](Exchange& e) { return disk_usage(*d, e); });
}

}  // namespace berth::api
