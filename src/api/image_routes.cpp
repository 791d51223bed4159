// The /images routes of the Docker Engine API over image::ImageService.
#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include "api/body_stream.h"
#include "api/routes.h"
#include "engine/image_events.h"
#include "image/manifest.h"

namespace berth::api {
namespace {

using engine::image_labels;
using engine::publish_image_event;
using image::ImageService;
using image::RemovalEvent;

// The labels of every image, before an rmi or prune takes some away (for their untag events).
std::map<std::string, Json> labels_by_image(ImageService& images) {
    std::map<std::string, Json> labels;
    if (auto records = images.list())
        for (const auto& record : *records)
            labels[record.id.str()] = image_labels(images, record.id.str());
    return labels;
}

Result<std::optional<bool>> dangling_filter(const Filters& filters) {
    auto it = filters.find("dangling");
    if (it == filters.end() || it->second.empty()) return std::optional<bool>();
    std::set<std::string> values(it->second.begin(), it->second.end());
    if (values.size() > 1) return fail(ErrorKind::InvalidArgument, "invalid filter 'dangling'");
    std::string value = *values.begin();
    std::transform(value.begin(), value.end(), value.begin(), ::tolower);
    if (value == "true" || value == "1") return std::optional<bool>(true);
    if (value == "false" || value == "0") return std::optional<bool>(false);
    return fail(ErrorKind::InvalidArgument, "invalid filter 'dangling=" + *values.begin() + "'");
}

// Docker's reference filter: a glob against the familiar name, with or without the tag.
bool reference_matches(const std::string& pattern, const std::string& tag) {
    std::string name = tag.substr(0, tag.rfind(':'));
    return ::fnmatch(pattern.c_str(), tag.c_str(), 0) == 0 ||
           ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool labels_match(const Json& labels, const std::vector<std::string>& wanted) {
    for (auto& filter : wanted) {
        auto eq = filter.find('=');
        std::string key = filter.substr(0, eq);
        if (!labels.contains(key)) return false;
        if (eq != std::string::npos &&
            (!labels[key].is_string() || labels[key].get<std::string>() != filter.substr(eq + 1)))
            return false;
    }
    return true;
}

Result<void> list_images(const Daemon& daemon, Exchange& exchange) {
    Filters filters = TRY(parse_filters(exchange.request()));
    for (auto& [key, values] : filters)
        if (key != "dangling" && key != "reference" && key != "label")
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
    auto dangling = TRY(dangling_filter(filters));
    const auto& references = filters["reference"];
    Json out = Json::array();
    for (auto& record : TRY(daemon.images->list())) {
        Json summary = TRY(daemon.images->summary(record));
        bool is_dangling = summary["RepoTags"].empty();
        if (dangling && *dangling != is_dangling) continue;
        if (!labels_match(summary["Labels"], filters["label"])) continue;
        if (!references.empty()) {
            // As dockerd: only the tags that match are listed, and an image with none is left out.
            Json kept = Json::array();
            for (auto& tag : summary["RepoTags"])
                if (std::any_of(references.begin(), references.end(), [&](auto& pattern) {
                        return reference_matches(pattern, tag.get<std::string>());
                    }))
                    kept.push_back(tag);
            if (kept.empty()) continue;
            summary["RepoTags"] = kept;
        }
        out.push_back(std::move(summary));
    }
    std::stable_sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
        return a["Created"].get<int64_t>() > b["Created"].get<int64_t>();
    });
    return respond_json(exchange, 200, out);
}

Json removal_json(const std::vector<RemovalEvent>& events) {
    Json out = Json::array();
    for (auto& event : events)
        out.push_back(
            {{event.kind == RemovalEvent::Kind::Untagged ? "Untagged" : "Deleted", event.what}});
    return out;
}

Result<void> tag_image(const Daemon& daemon, Exchange& exchange) {
    const Request& request = exchange.request();
    std::string repo = request.query_value("repo").value_or("");
    std::string tag = request.query_value("tag").value_or("");
    if (repo.empty())
        return fail(ErrorKind::InvalidArgument, "repository name must have at least one component");
    std::string target = tag.empty() ? repo : repo + ":" + tag;
    TRY(daemon.images->tag(request.param("name"), target));
    std::string id = TRY(daemon.images->resolve(target)).id.str();
    publish_image_event(*daemon.events, "tag", id,
                        image::familiar_tag(TRY(image::normalise_tag(target))),
                        image_labels(*daemon.images, id));
    return exchange.respond(201, "", "");
}

Result<void> save_images(const Daemon& daemon, Exchange& exchange, std::vector<std::string> names) {
    if (names.empty()) return fail(ErrorKind::InvalidArgument, "no images named to save");
    // Every name resolved before the 200 goes out: an unknown one is still a clean 404.
    std::vector<std::string> ids;
    for (auto& name : names) {
        std::string id = TRY(daemon.images->resolve(name)).id.str();
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    TRY(stream_response(exchange, "application/x-tar", [&](int fd) {
        return daemon.images->save(names, fd, image::SaveFormat::Combined);
    }));
    for (const auto& id : ids)
        publish_image_event(*daemon.events, "save", id, id, image_labels(*daemon.images, id));
    return {};
}

// docker's JSON message stream, one object a line: {"stream":"..."} / {"status":"..."}.
std::string message_line(std::string_view key, const std::string& text) {
    return Json{{key, text}}.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<void> load_images(const Daemon& daemon, Exchange& exchange) {
    image::LoadResult result;
    TRY(pipe_request_body(exchange, [&](int fd) -> Result<void> {
        result = TRY(daemon.images->load(fd));
        return {};
    }));
    for (const auto& digest : result.image_ids) {
        std::string id = digest.str();
        publish_image_event(*daemon.events, "load", id, id, image_labels(*daemon.images, id));
    }
    // -q only silences progress in docker; the "Loaded image" lines are always sent.
    std::string body;
    for (auto& line : result.lines)
        body += message_line("stream", line + "\n");
    return exchange.respond(200, "application/json", body);
}

Result<void> prune_images(const Daemon& daemon, Exchange& exchange) {
    Filters filters = TRY(parse_filters(exchange.request()));
    for (auto& [key, values] : filters)
        if (key != "dangling" && !values.empty())
            return fail(ErrorKind::Unsupported,
                        "image prune filter '" + key + "' is not supported yet");
    // dangling=false (docker image prune -a) means every unused image.
    auto dangling = TRY(dangling_filter(filters));
    auto labels = labels_by_image(*daemon.images);
    image::PruneReport report = TRY(daemon.images->prune(dangling && !*dangling));
    engine::publish_removal_events(*daemon.events, report.events, labels);
    engine::publish_prune_event(*daemon.events, "image", report.reclaimed_bytes);
    Json deleted = report.events.empty() ? Json(nullptr) : removal_json(report.events);
    return respond_json(exchange, 200,
                        {{"ImagesDeleted", deleted}, {"SpaceReclaimed", report.reclaimed_bytes}});
}

// A pull (fromImage), until berth has a registry client: a missing image is docker's "No such
// image" with how to get one; an image stored here is not refreshed, and says so.
Result<void> pull_image(const Daemon& daemon, const Request& request) {
    std::string name = *request.query_value("fromImage");
    std::string tag = request.query_value("tag").value_or("");
    if (!tag.empty()) name += (tag.starts_with("sha256:") ? "@" : ":") + tag;
    auto full = image::normalise_tag(name);
    std::string shown = full ? image::familiar_tag(*full) : name;
    if (daemon.images->resolve(name))
        return fail(ErrorKind::Unsupported, "berth cannot pull from a registry yet: " + shown +
                                                " is stored locally and is used as it is");
    return fail(ErrorKind::NotFound,
                "No such image: " + shown +
                    " (berth cannot pull from a registry yet: load the image with `docker load` "
                    "from a `docker save` tar, or make one with `docker import`)");
}

Result<void> create_image(const Daemon& daemon, Exchange& exchange) {
    const Request& request = exchange.request();
    if (auto from = request.query_value("fromImage"); from && !from->empty())
        return pull_image(daemon, request);
    auto source = request.query_value("fromSrc");
    if (!source || source->empty())
        return fail(ErrorKind::InvalidArgument, "either fromImage or fromSrc is needed");
    if (*source != "-")
        return fail(ErrorKind::Unsupported,
                    "importing from a URL is not supported yet: send the file as the body");
    image::ImportOptions options;
    std::string repo = request.query_value("repo").value_or("");
    std::string tag = request.query_value("tag").value_or("");
    if (!repo.empty()) options.reference = tag.empty() ? repo : repo + ":" + tag;
    options.changes = request.query_values("changes");
    options.message = request.query_value("message").value_or("");
    if (auto platform = request.query_value("platform"); platform && !platform->empty())
        options.platform = TRY(image::parse_platform(*platform));
    Digest id;
    TRY(pipe_request_body(exchange, [&](int fd) -> Result<void> {
        id = TRY(daemon.images->import(fd, options));
        return {};
    }));
    Json labels = image_labels(*daemon.images, id.str());
    if (options.reference)
        if (auto named = image::normalise_tag(*options.reference))
            publish_image_event(*daemon.events, "tag", id.str(), image::familiar_tag(*named),
                                labels);
    publish_image_event(*daemon.events, "import", id.str(), id.str(), labels);
    return exchange.respond(200, "application/json", message_line("status", id.str()));
}

}  // namespace

void add_image_routes(Router& router, const Daemon& daemon) {
    const Daemon* d = &daemon;
    router.add("GET", "/images/json", [d](Exchange& e) { return list_images(*d, e); });
    router.add("GET", "/images/get",
               [d](Exchange& e) { return save_images(*d, e, e.request().query_values("names")); });
    router.add("POST", "/images/load", [d](Exchange& e) { return load_images(*d, e); });
    router.add("POST", "/images/prune", [d](Exchange& e) { return prune_images(*d, e); });
    router.add("POST", "/images/create", [d](Exchange& e) { return create_image(*d, e); });
    router.add("GET", "/images/{name*}/json", [d](Exchange& e) -> Result<void> {
        return respond_json(e, 200, TRY(d->images->inspect(e.request().param("name"))));
    });
    router.add("GET", "/images/{name*}/history", [d](Exchange& e) -> Result<void> {
        return respond_json(e, 200, TRY(d->images->history(e.request().param("name"))));
    });
    router.add("GET", "/images/{name*}/get",
               [d](Exchange& e) { return save_images(*d, e, {e.request().param("name")}); });
    router.add("POST", "/images/{name*}/tag", [d](Exchange& e) { return tag_image(*d, e); });
    router.add("DELETE", "/images/{name*}", [d](Exchange& e) -> Result<void> {
        std::string name = e.request().param("name");
        std::map<std::string, Json> labels;
        if (auto image = d->images->resolve(name))
            labels[image->id.str()] = image_labels(*d->images, image->id.str());
        auto events = TRY(d->images->remove(name, e.request().query_bool("force")));
        engine::publish_removal_events(*d->events, events, labels);
        return respond_json(e, 200, removal_json(events));
    });
}

}  // namespace berth::api
