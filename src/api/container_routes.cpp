// The /containers and /exec routes of the Docker Engine API over engine::Engine: lifecycle,
// attach and exec (hijacked connections), wait, list, inspect, prune.
#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>

#include "api/create_body.h"
#include "api/routes.h"
#include "base/fs.h"
#include "base/parse_int.h"
#include "engine/image_events.h"
#include "wire/stdcopy.h"

namespace berth::api {
namespace {

std::string id_param(const Exchange& e) {
    return e.request().param("id");
}

Result<Json> read_json_body(Exchange& exchange, bool allow_empty) {
    std::string body;
    char buffer[16384];
    for (;;) {
        size_t n = TRY(exchange.read_body(buffer, sizeof buffer));
        if (n == 0) break;
        body.append(buffer, n);
        if (body.size() > 16 * 1024 * 1024)
            return fail(ErrorKind::InvalidArgument, "request body too large");
    }
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (allow_empty) return Json::object();
        return fail(ErrorKind::InvalidArgument, "request body must not be empty");
    }
    auto doc = parse_json(body, "request body");
    if (!doc) return fail(ErrorKind::InvalidArgument, doc.error().message());
    return doc;
}

Result<std::optional<int>> int_query(const Request& request, std::string_view name) {
    auto text = request.query_value(name);
    if (!text || text->empty()) return std::optional<int>();
    // dockerd reads these with Go's strconv.Atoi, which takes one sign, '+' as well as '-'.
    std::string_view number = *text;
    if (number.starts_with('+') && !number.substr(1).starts_with('-')) number.remove_prefix(1);
    if (auto value = parse_int<int>(number)) return value;
    return fail(ErrorKind::InvalidArgument,
                "invalid value for " + std::string(name) + ": " + *text);
}

Result<void> no_content(Exchange& e) {
    return e.respond(204, "", "");
}

// start/stop answer 304 when there is nothing to do (the engine says AlreadyExists).
Result<void> no_content_or_304(Exchange& e, Result<void> done) {
    if (!done && done.error().kind() == ErrorKind::AlreadyExists) return e.respond(304, "", "");
    if (!done) return done;
    return no_content(e);
}

std::string stream_content_type(const Request& request, bool tty) {
    if (tty || request.version < ApiVersion{1, 42}) return "application/vnd.docker.raw-stream";
    return "application/vnd.docker.multiplexed-stream";
}

// Takes over the connection for a stream: 101 when the client asked to upgrade (docker CLI
// does), else 200 with the stream as the body, as dockerd answers both. Bytes the client sent
// right behind its request (read with it) are its first input.
Result<engine::ClientStream> take_connection(Exchange& e, const std::string& content_type) {
    bool upgrade = !e.request().header("upgrade").empty();
    std::string head = upgrade ? "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + content_type +
                                     "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
                               : "HTTP/1.1 200 OK\r\nContent-Type: " + content_type + "\r\n\r\n";
    auto connection = TRY(e.hijack(head));
    return engine::ClientStream{std::move(connection.fd), std::move(connection.buffered)};
}

Result<void> create_container(const Daemon& d, Exchange& e) {
    Json body = TRY(known_create_fields(TRY(read_json_body(e, false))));
    std::string name = e.request().query_value("name").value_or("");
    auto created = TRY(d.engine->create(name, body));
    return respond_json(e, 201, {{"Id", created.id}, {"Warnings", created.warnings}});
}

Result<void> list_containers(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    engine::ListOptions options;
    options.all = r.query_bool("all");
    options.size = r.query_bool("size");
    options.limit = TRY(int_query(r, "limit")).value_or(-1);
    options.filters = TRY(parse_filters(r));
    auto containers = TRY(d.engine->list(options));
    return respond_json(e, 200, Json(containers));
}

Result<void> wait_container(const Daemon& d, Exchange& e) {
    auto condition =
        TRY(engine::wait_condition_from_string(e.request().query_value("condition").value_or("")));
    bool streaming = false;
    auto result = d.engine->wait(id_param(e), condition, [&] {
        // The headers go out now: the client knows the wait is in place before it starts the
        // container (docker run does exactly that).
        streaming = static_cast<bool>(e.begin_stream(200, "application/json"));
    });
    if (!streaming) {
        if (!result) return fail(std::move(result).error());
        return fail(ErrorKind::Internal, "could not answer the wait");
    }
    Json body = {{"StatusCode", result ? result->status_code : 255}, {"Error", nullptr}};
    if (!result)
        body["Error"] = {{"Message", result.error().message()}};
    else if (!result->error.empty())
        body["Error"] = {{"Message", result->error}};
    TRY(e.write(body.dump() + "\n"));
    return e.end_stream();
}

Result<void> attach_container(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    auto container = TRY(d.engine->find(id_param(e)));
    monitor::AttachRequest request;
    request.stdin = r.query_bool("stdin");
    request.stdout = r.query_bool("stdout");
    request.stderr = r.query_bool("stderr");
    bool tty = container.config.value("Tty", false);
    // After the hijack an error can no longer be an HTTP response: it ends the connection.
    return d.engine->attach(container.id, request,
                            [&] { return take_connection(e, stream_content_type(r, tty)); });
}

Result<void> resize(const Daemon& d, Exchange& e, bool exec) {
    const Request& r = e.request();
    int height = TRY(int_query(r, "h")).value_or(0);
    int width = TRY(int_query(r, "w")).value_or(0);
    if (height < 0 || width < 0) return fail(ErrorKind::InvalidArgument, "invalid terminal size");
    if (exec)
        TRY(d.engine->exec_resize(id_param(e), height, width));
    else
        TRY(d.engine->resize(id_param(e), height, width));
    return e.respond(200, "text/plain", "");
}

Result<void> remove_container(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    if (r.query_bool("link"))
        return fail(ErrorKind::InvalidArgument, "container links are not supported");
    TRY(d.engine->remove(id_param(e), r.query_bool("force"), r.query_bool("v")));
    return no_content(e);
}

Result<engine::StopOptions> stop_options(const Request& r) {
    engine::StopOptions options;
    options.timeout = TRY(int_query(r, "t"));
    options.signal = r.query_value("signal").value_or("");
    return options;
}

Result<void> update_container(const Daemon& d, Exchange& e) {
    Json body = TRY(read_json_body(e, false));
    auto warnings = TRY(d.engine->update(id_param(e), body));
    return respond_json(e, 200, {{"Warnings", warnings.empty() ? Json(nullptr) : Json(warnings)}});
}

// POST /commit?container=…&repo=…&tag=…&comment=…&author=…&pause=…&changes=…, with an optional
// Config as the body.
Result<void> commit_container(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    engine::CommitOptions options;
    Json body = TRY(read_json_body(e, true));
    if (!body.is_null() && !body.is_object())
        return fail(ErrorKind::InvalidArgument, "the commit's Config must be a JSON object");
    // What docker's container config has, and only that, goes into the image config.
    options.config = TRY(known_config_fields(body));
    std::string repo = r.query_value("repo").value_or("");
    std::string tag = r.query_value("tag").value_or("");
    if (repo.find('@') != std::string::npos)
        return fail(ErrorKind::InvalidArgument, "cannot import digest reference");
    if (!repo.empty()) options.reference = tag.empty() ? repo : repo + ":" + tag;
    options.author = r.query_value("author").value_or("");
    options.comment = r.query_value("comment").value_or("");
    options.changes = r.query_values("changes");
    // As dockerd: pausing is the default; only a pause parameter that reads false turns it off.
    options.pause = !r.query_value("pause") || r.query_bool("pause");
    auto id = TRY(d.engine->commit(r.query_value("container").value_or(""), options));
    return respond_json(e, 201, {{"Id", id}});
}

Result<void> prune_containers(const Daemon& d, Exchange& e) {
    auto report = TRY(d.engine->prune(TRY(parse_filters(e.request()))));
    engine::publish_prune_event(*d.events, "container", report.space_reclaimed);
    return respond_json(
        e, 200,
        {{"ContainersDeleted", report.deleted.empty() ? Json(nullptr) : Json(report.deleted)},
         {"SpaceReclaimed", report.space_reclaimed}});
}

Result<void> exec_start(const Daemon& d, Exchange& e) {
    Json body = TRY(read_json_body(e, true));
    bool detach = body.value("Detach", false);
    std::string id = id_param(e);
    auto inspect = TRY(d.engine->exec_inspect(id));
    if (detach) {
        TRY(d.engine->exec_start(id, engine::ClientStream{}, true));
        return e.respond(200, "application/json", "");
    }
    bool tty = inspect["ProcessConfig"].value("tty", false);
    auto connection = TRY(take_connection(e, stream_content_type(e.request(), tty)));
    // After the 101 an error is no HTTP response: dockerd writes it on the stream, as the
    // process's stdout, and the client takes the exit code from the exec's inspect.
    UniqueFd error_stream(::fcntl(connection.fd.get(), F_DUPFD_CLOEXEC, 3));
    auto ran = d.engine->exec_start(id, std::move(connection), false);
    if (ran || !error_stream.valid()) return ran;
    std::string line = ran.error().message() + "\r\n";
    (void)write_all(error_stream.get(), tty ? line : wire::frame(wire::StreamType::Stdout, line));
    ::shutdown(error_stream.get(), SHUT_RDWR);
    return {};
}

}  // namespace

void add_container_routes(Router& router, const Daemon& daemon) {
    const Daemon* d = &daemon;
    router.add("POST", "/containers/create", [d](Exchange& e) { return create_container(*d, e); });
    router.add("GET", "/containers/json", [d](Exchange& e) { return list_containers(*d, e); });
    router.add("POST", "/containers/prune", [d](Exchange& e) { return prune_containers(*d, e); });
    router.add("GET", "/containers/{id}/json", [d](Exchange& e) -> Result<void> {
        return respond_json(e, 200,
                            TRY(d->engine->inspect(id_param(e), e.request().query_bool("size"))));
    });
    router.add("POST", "/containers/{id}/start",
               [d](Exchange& e) { return no_content_or_304(e, d->engine->start(id_param(e))); });
    router.add("POST", "/containers/{id}/stop", [d](Exchange& e) -> Result<void> {
        auto options = TRY(stop_options(e.request()));
        return no_content_or_304(e, d->engine->stop(id_param(e), options));
    });
    router.add("POST", "/containers/{id}/restart", [d](Exchange& e) -> Result<void> {
        auto options = TRY(stop_options(e.request()));
        TRY(d->engine->restart(id_param(e), options));
        return no_content(e);
    });
    router.add("POST", "/containers/{id}/kill", [d](Exchange& e) -> Result<void> {
        TRY(d->engine->kill(id_param(e), e.request().query_value("signal").value_or("")));
        return no_content(e);
    });
    router.add("POST", "/containers/{id}/pause", [d](Exchange& e) -> Result<void> {
        TRY(d->engine->pause(id_param(e)));
        return no_content(e);
    });
    router.add("POST", "/containers/{id}/unpause", [d](Exchange& e) -> Result<void> {
        TRY(d->engine->unpause(id_param(e)));
        return no_content(e);
    });
    router.add("POST", "/containers/{id}/update",
               [d](Exchange& e) { return update_container(*d, e); });
    router.add("POST", "/commit", [d](Exchange& e) { return commit_container(*d, e); });
    router.add("POST", "/containers/{id}/rename", [d](Exchange& e) -> Result<void> {
        TRY(d->engine->rename(id_param(e), e.request().query_value("name").value_or("")));
        return no_content(e);
    });
    router.add("POST", "/containers/{id}/wait", [d](Exchange& e) { return wait_container(*d, e); });
    router.add("POST", "/containers/{id}/attach",
               [d](Exchange& e) { return attach_container(*d, e); });
    router.add("POST", "/containers/{id}/resize",
               [d](Exchange& e) { return resize(*d, e, false); });
    router.add("DELETE", "/containers/{id}", [d](Exchange& e) { return remove_container(*d, e); });
    router.add("POST", "/containers/{id}/exec", [d](Exchange& e) -> Result<void> {
        Json body = TRY(known_exec_fields(TRY(read_json_body(e, false))));
        auto id = TRY(d->engine->exec_create(id_param(e), body));
        return respond_json(e, 201, {{"Id", id}});
    });
    router.add("POST", "/exec/{id}/start", [d](Exchange& e) { return exec_start(*d, e); });
    router.add("POST", "/exec/{id}/resize", [d](Exchange& e) { return resize(*d, e, true); });
    router.add("GET", "/exec/{id}/json", [d](Exchange& e) -> Result<void> {
        return respond_json(e, 200, TRY(d->engine->exec_inspect(id_param(e))));
    });
}

}  // namespace berth::api
