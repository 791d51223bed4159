#include "engine/container.h"

#include <array>

#include "base/clock.h"

namespace berth::engine {
namespace {

constexpr std::array<std::pair<RunState, std::string_view>, 7> kStateNames = {{
    {RunState::Created, "created"},
    {RunState::Running, "running"},
    {RunState::Paused, "paused"},
    {RunState::Restarting, "restarting"},
    {RunState::Removing, "removing"},
    {RunState::Exited, "exited"},
    {RunState::Dead, "dead"},
}};

}  // namespace

std::string_view to_string(RunState state) {
    for (const auto& [value, name] : kStateNames)
        if (value == state) return name;
    return "unknown";
}

Result<RunState> run_state_from_string(std::string_view text) {
    for (const auto& [value, name] : kStateNames)
        if (name == text) return value;
    return fail(ErrorKind::InvalidArgument, "unknown container state '" + std::string(text) + "'");
}

bool Container::auto_remove() const {
    return host_config.is_object() && host_config.value("AutoRemove", false);
}

Json container_to_document(const Container& c) {
    Json state = {{"status", to_string(c.state.status)},
                  {"pid", c.state.pid},
                  {"exit_code", c.state.exit_code},
                  {"oom_killed", c.state.oom_killed},
                  {"error", c.state.error},
                  {"started_at", c.state.started_at},
                  {"finished_at", c.state.finished_at},
                  {"health", c.state.health}};
    return {{"id", c.id},
            {"name", c.name},
            {"created", c.created},
            {"image", c.image},
            {"image_id", c.image_id},
            {"config", c.config},
            {"host_config", c.host_config},
            {"state", state},
            {"restart_count", c.restart_count},
            {"has_been_started", c.has_been_started},
            {"manually_stopped", c.manually_stopped}};
}

Result<Container> container_from_document(const Json& doc) {
    if (!doc.is_object()) return fail(ErrorKind::Internal, "container record: not an object");
    Container c;
    TRY(get_optional(doc, "id", c.id, "container record"));
    TRY(get_optional(doc, "name", c.name, "container record"));
    TRY(get_optional(doc, "created", c.created, "container record"));
    TRY(get_optional(doc, "image", c.image, "container record"));
    TRY(get_optional(doc, "image_id", c.image_id, "container record"));
    c.config = doc.value("config", Json::object());
    c.host_config = doc.value("host_config", Json::object());
    TRY(get_optional(doc, "restart_count", c.restart_count, "container record"));
    TRY(get_optional(doc, "has_been_started", c.has_been_started, "container record"));
    TRY(get_optional(doc, "manually_stopped", c.manually_stopped, "container record"));
    if (auto it = doc.find("state"); it != doc.end() && it->is_object()) {
        std::string status = "created";
        TRY(get_optional(*it, "status", status, "container record"));
        c.state.status = TRY(run_state_from_string(status));
        TRY(get_optional(*it, "pid", c.state.pid, "container record"));
        TRY(get_optional(*it, "exit_code", c.state.exit_code, "container record"));
        TRY(get_optional(*it, "oom_killed", c.state.oom_killed, "container record"));
        TRY(get_optional(*it, "error", c.state.error, "container record"));
        TRY(get_optional(*it, "started_at", c.state.started_at, "container record"));
        TRY(get_optional(*it, "finished_at", c.state.finished_at, "container record"));
        c.state.health = it->value("health", Json());
    }
    if (c.id.empty() || c.name.empty())
        return fail(ErrorKind::Internal, "container record without id or name");
    return c;
}

std::string status_text(const Container& c, int64_t now) {
    auto since = [&](const std::string& time) {
        auto t = parse_rfc3339(time);
        return t ? now - *t : 0;
    };
    switch (c.state.status) {
        case RunState::Created:
            return "Created";
        case RunState::Running:
        case RunState::Paused: {
            std::string text = "Up " + human_duration(since(c.state.started_at));
            if (c.state.status == RunState::Paused) text += " (Paused)";
            if (c.state.health.is_object()) {
                std::string health = c.state.health.value("Status", "");
                if (health == "starting")
                    text += " (health: starting)";
                else if (!health.empty() && health != "none")
                    text += " (" + health + ")";
            }
            return text;
        }
        case RunState::Restarting:
            return "Restarting (" + std::to_string(c.state.exit_code) + ") " +
                   human_duration(since(c.state.finished_at)) + " ago";
        case RunState::Removing:
            return "Removal In Progress";
        case RunState::Dead:
            return "Dead";
        case RunState::Exited:
            if (c.state.finished_at == kZeroTime)
                return "Exited (" + std::to_string(c.state.exit_code) + ")";
            return "Exited (" + std::to_string(c.state.exit_code) + ") " +
                   human_duration(since(c.state.finished_at)) + " ago";
    }
    return "";
}

std::vector<std::string> command_of(const Json& config) {
    std::vector<std::string> command;
    for (const char* key : {"Entrypoint", "Cmd"}) {
        auto it = config.find(key);
        if (it == config.end() || !it->is_array()) continue;
        for (const auto& arg : *it)
            if (arg.is_string()) command.push_back(arg.get<std::string>());
    }
    return command;
}

}  // namespace berth::engine
