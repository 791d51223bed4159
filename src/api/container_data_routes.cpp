// The routes that read a container's data: logs (json-file, followed), stats, top, changes,
// export and archive (docker cp).
#include <charconv>

#include <thread>

#include "api/body_stream.h"
#include "api/routes.h"
#include "base/fs.h"
#include "engine/container_archive.h"
#include "engine/container_changes.h"
#include "engine/container_stats.h"
#include "engine/container_top.h"
#include "logs/json_log_reader.h"
#include "wire/stdcopy.h"

namespace berth::api {
namespace {

// docker's since/until for logs: "seconds[.nanoseconds]" (what the CLI sends), 0 = unset.
Result<std::optional<timespec>> log_time(const Request& r, std::string_view name) {
    auto text = r.query_value(name);
    if (!text || text->empty() || *text == "0") return std::optional<timespec>();
    std::string_view s = *text, fraction;
    if (auto dot = s.find('.'); dot != std::string_view::npos) {
        fraction = s.substr(dot + 1);
        s = s.substr(0, dot);
    }
    timespec t{};
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seconds);
    if (ec != std::errc() || end != s.data() + s.size()) {
        if (auto parsed = logs::parse_rfc3339_nano(*text)) return parsed;
        return fail(ErrorKind::InvalidArgument,
                    "invalid value for " + std::string(name) + ": " + *text);
    }
    std::string nanos(fraction.substr(0, 9));
    nanos.resize(9, '0');
    int64_t frac = 0;
    std::from_chars(nanos.data(), nanos.data() + nanos.size(), frac);
    t.tv_sec = seconds;
    t.tv_nsec = frac;
    return std::optional<timespec>(t);
}

Result<void> container_logs(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    auto source = TRY(d.engine->log_source(r.param("id")));
    logs::LogReadOptions options;
    options.show_stdout = r.query_bool("stdout");
    options.show_stderr = r.query_bool("stderr");
    if (!options.show_stdout && !options.show_stderr)
        return fail(ErrorKind::InvalidArgument,
                    "Bad parameters: you must choose at least one stream");
    options.since = TRY(log_time(r, "since"));
    options.until = TRY(log_time(r, "until"));
    std::string tail = r.query_value("tail").value_or("all");
    if (!tail.empty() && tail != "all") {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), n);
        if (ec == std::errc() && end == tail.data() + tail.size() && n >= 0) options.tail = n;
    }
    bool timestamps = r.query_bool("timestamps");
    bool follow = r.query_bool("follow");
    TRY(e.begin_stream(200, source.tty ? "application/vnd.docker.raw-stream"
                                       : "application/vnd.docker.multiplexed-stream"));
    std::string out;
    auto sink = [&](const logs::LogEntry& entry) {
        std::string payload = timestamps ? logs::log_timestamp_prefix(entry.time) : "";
        payload += entry.line;
        out.clear();
        if (source.tty)
            out = std::move(payload);
        else
            wire::append_frame(out,
                               entry.stream == logs::LogStream::Stdout ? wire::StreamType::Stdout
                                                                       : wire::StreamType::Stderr,
                               payload);
        return static_cast<bool>(e.write(out));
    };
    if (follow) {
        auto stopped = TRY(d.engine->stopped_signal(source.id));
        logs::FollowSignals signals;
        signals.stopped_fd = stopped.get();
        signals.cancel_fd = e.hangup_fd();
        TRY(logs::follow_logs(source.path, source.max_file, options, sink, signals));
    } else {
        TRY(logs::read_logs(source.path, source.max_file, options, sink));
    }
    return e.end_stream();
}

// The bind mounts of the container's runtime spec, as docker cp sees them.
std::vector<engine::BindMount> spec_binds(const std::string& bundle_config) {
    std::vector<engine::BindMount> binds;
    auto spec = read_json_file(bundle_config);
    if (!spec || !spec->contains("mounts") || !(*spec)["mounts"].is_array()) return binds;
    for (const auto& m : (*spec)["mounts"]) {
        if (!m.is_object() || m.value("type", "") != "bind") continue;
        bool ro = false;
        for (const auto& o : m.value("options", Json::array()))
            if (o.is_string() && o.get<std::string>() == "ro") ro = true;
        binds.push_back({m.value("source", ""), m.value("destination", ""), ro});
    }
    return binds;
}

Result<engine::ContainerFsView> fs_view(const engine::Engine::RootfsView& rootfs,
                                        const std::string& ref, const std::string& bundle) {
    engine::ContainerFsView view;
    view.rootfs = rootfs.rootfs;
    view.container = ref;
    view.binds = spec_binds(bundle);
    return view;
}

Result<void> archive(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    std::string ref = r.param("id");
    auto path = r.query_value("path");
    if (!path || path->empty())
        return fail(ErrorKind::InvalidArgument, "Bad parameters: path cannot be empty");
    auto container = TRY(d.engine->find(ref));
    auto rootfs = TRY(d.engine->rootfs_view(ref));
    auto view = TRY(fs_view(rootfs, ref, join_path(rootfs.bundle_dir, "config.json")));
    if (r.method == "PUT") {
        engine::ExtractOptions options;
        options.no_overwrite_dir_non_dir = r.query_bool("noOverwriteDirNonDir");
        options.copy_uid_gid = r.query_bool("copyUIDGID");
        options.container_user = container.config.value("User", "");
        TRY(pipe_request_body(
            e, [&](int fd) { return engine::extract_into_container(view, *path, fd, options); }));
        d.engine->publish_file_event(container, "extract-to-dir");
        return e.respond(200, "", "");
    }
    auto stat = TRY(engine::stat_container_path(view, *path));
    Fields headers{{"X-Docker-Container-Path-Stat", engine::encode_path_stat(stat)}};
    if (r.method == "HEAD") return e.respond(200, "", "", headers);
    // As dockerd: once the path is found, before the tar streams.
    d.engine->publish_file_event(container, "archive-path");
    // The stat goes out as a header before the tar streams, as with dockerd.
    return stream_response(
        e, "application/x-tar",
        [&](int fd) { return engine::write_container_archive(view, *path, fd); }, headers);
}

Result<void> container_stats(const Daemon& d, Exchange& e) {
    const Request& r = e.request();
    auto container = TRY(d.engine->find(r.param("id")));
    bool stream = !r.query_value("stream") || r.query_bool("stream");
    bool one_shot = r.query_bool("one-shot");
    auto sample = [&]() -> Result<std::optional<engine::StatsSample>> {
        auto data = TRY(d.engine->runtime_stats(container.id));
        if (data.is_null()) return std::optional<engine::StatsSample>();
        return std::optional<engine::StatsSample>(TRY(engine::sample_stats(std::move(data))));
    };
    TRY(e.begin_stream(200, "application/json"));
    std::optional<engine::StatsSample> previous;
    if (!stream && !one_shot) {
        // Like dockerd: a single answer still carries a previous sample a second earlier, so
        // that CPU % can be computed from it.
        previous = TRY(sample());
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    for (;;) {
        auto now = TRY(sample());
        Json doc = now ? engine::docker_stats_json(*now, previous ? &*previous : nullptr,
                                                   container.id, container.name)
                       : engine::docker_stats_not_running_json(container.id, container.name);
        if (!e.write(doc.dump() + "\n")) return {};
        if (!stream || !now) break;
        previous = now;
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return e.end_stream();
}

}  // namespace

void add_container_data_routes(Router& router, const Daemon& daemon) {
    const Daemon* d = &daemon;
    router.add("GET", "/containers/{id}/logs", [d](Exchange& e) { return container_logs(*d, e); });
    router.add("GET", "/containers/{id}/stats",
               [d](Exchange& e) { return container_stats(*d, e); });
    router.add("GET", "/containers/{id}/top", [d](Exchange& e) -> Result<void> {
        auto pids = TRY(d->engine->pids(e.request().param("id")));
        std::string args = e.request().query_value("ps_args").value_or("");
        return respond_json(e, 200, TRY(engine::container_top(pids, args.empty() ? "-ef" : args)));
    });
    router.add("GET", "/containers/{id}/changes", [d](Exchange& e) -> Result<void> {
        auto view = TRY(d->engine->rootfs_view(e.request().param("id")));
        return respond_json(e, 200,
                            TRY(engine::container_changes(view.upper_dir, view.lower_dirs)));
    });
    router.add("GET", "/containers/{id}/export", [d](Exchange& e) -> Result<void> {
        auto container = TRY(d->engine->find(e.request().param("id")));
        auto view = TRY(d->engine->rootfs_view(container.id));
        d->engine->publish_file_event(container, "export");
        return stream_response(e, "application/x-tar",
                               [&](int fd) { return engine::export_container(view.rootfs, fd); });
    });
    for (const char* method : {"GET", "HEAD", "PUT"})
        router.add(method, "/containers/{id}/archive", [d](Exchange& e) { return archive(*d, e); });
}

}  // namespace berth::api
