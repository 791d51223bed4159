// docker commit: a container's file system changes (its snapshot's upper directory) as a new
// layer on its image, with an image config made from the container's (moby's
// CreateImageFromContainer): the --change instructions applied to the request's Config or the
// container's, what that leaves empty filled from the container's, the container paused
// meanwhile unless asked not to.
#include <array>

#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "engine/image_events.h"
#include "image/config_changes.h"
#include "spec/container_spec.h"
#include "spec/spec_parts.h"
#include "views/mount_placeholders.h"

namespace berth::engine {
namespace {

// What an image config carries of a container's Config (the OCI image config's fields, as
// docker's containerd image store writes them).
constexpr std::array kImageConfigFields = {
    "User",   "ExposedPorts", "Env",         "Entrypoint",  "Cmd",     "Volumes", "WorkingDir",
    "Labels", "StopSignal",   "ArgsEscaped", "Healthcheck", "OnBuild", "Shell"};

std::string key_of(const std::string& env) {
    return env.substr(0, env.find('='));
}

// moby's merge(): what the new config leaves empty comes from the container's; maps and Env
// get the container's entries they lack.
void merge_from_container(Json& config, const Json& container) {
    using spec::is_zero;
    auto take = [&](const char* key) {
        if (is_zero(spec::member(config, key))) config[key] = spec::member(container, key);
    };
    for (const char* key : {"User", "WorkingDir", "StopSignal"})
        take(key);
    for (const char* key : {"ExposedPorts", "Volumes", "Labels"}) {
        const Json& theirs = spec::member(container, key);
        if (is_zero(spec::member(config, key))) {
            config[key] = theirs;
        } else if (theirs.is_object()) {
            for (auto& [name, value] : theirs.items())
                if (!config[key].contains(name)) config[key][name] = value;
        }
    }
    auto env = spec::strings_of(config, "Env");
    if (env.empty()) {
        config["Env"] = spec::member(container, "Env");
    } else {
        for (const auto& entry : spec::strings_of(container, "Env"))
            if (std::none_of(env.begin(), env.end(),
                             [&](const std::string& e) { return key_of(e) == key_of(entry); }))
                env.push_back(entry);
        config["Env"] = env;
    }
    if (is_zero(spec::member(config, "Entrypoint"))) {
        take("Cmd");
        if (spec::member(config, "Entrypoint").is_null())
            config["Entrypoint"] = spec::member(container, "Entrypoint");
    }
    const Json& health = spec::member(container, "Healthcheck");
    if (health.is_object()) {
        if (!spec::member(config, "Healthcheck").is_object())
            config["Healthcheck"] = Json::object();
        for (auto& [name, value] : health.items())
            if (is_zero(spec::member(config["Healthcheck"], name)))
                config["Healthcheck"][name] = value;
    }
}

Result<Json> image_config_for(const Container& c, const CommitOptions& options) {
    bool given = options.config.is_object() && !options.config.empty();
    if (given) {
        // Checked as a create's Config is; a MAC address is no image's, so not refused here.
        Json checked = options.config;
        checked.erase("MacAddress");
        TRY(spec::validate_container_config(checked, nullptr));
    }
    Json config = given ? options.config : c.config;
    for (const auto& change : options.changes)
        TRY(image::apply_config_change(config, change));
    merge_from_container(config, c.config);
    Json image_config = Json::object();
    for (const char* key : kImageConfigFields)
        if (!spec::is_zero(spec::member(config, key))) image_config[key] = config[key];
    return image_config;
}

std::string joined_cmd(const Json& config) {
    std::string text;
    for (const auto& arg : spec::strings_of(config, "Cmd"))
        text += (text.empty() ? "" : " ") + arg;
    return text;
}

}  // namespace

Result<std::string> Engine::commit(std::string_view ref, const CommitOptions& options) {
    auto entry = TRY(resolve(ref));
    std::unique_lock op(entry->op);
    Container c;
    {
        std::lock_guard lock(mutex_);
        c = entry->container;
        if (entry->removed || c.state.status == RunState::Removing)
            return fail(ErrorKind::Conflict,
                        "You cannot commit container " + c.id + " which is being removed");
        if (c.state.status == RunState::Dead)
            return fail(ErrorKind::Conflict,
                        "You cannot commit container " + c.id + " which is Dead");
    }
    image::ImportOptions import;
    if (!options.reference.empty()) import.reference = TRY(image::normalise_tag(options.reference));
    import.author = options.author;
    import.message = options.comment;
    import.created_by = joined_cmd(c.config);
    import.config = TRY(image_config_for(c, options));
    auto parent = TRY(Digest::parse(c.image_id));
    std::string upper_dir = images_.snapshotter().upper_dir(c.id);
    auto lower_dirs = TRY(lower_dirs_of(c));
    // Its files hold still while they are read: docker freezes a running container.
    bool paused_here = options.pause && c.state.status == RunState::Running;
    if (paused_here) TRY(pause_locked(entry));
    // docker keeps the runtime's mount targets in an init layer that commits leave out.
    import.left_out = views::mount_placeholders_in(upper_dir, lower_dirs);
    auto committed = images_.commit(upper_dir, parent, import);
    if (committed && import.reference)
        publish_image_event(events_, "tag", committed->str(),
                            image::familiar_tag(*import.reference),
                            image_labels(images_, committed->str()));
    if (committed)
        publish(find(c.id).value_or(c), "commit",
                {{"comment", options.comment},
                 {"imageID", committed->str()},
                 {"imageRef", import.reference ? image::familiar_tag(*import.reference) : ""}});
    if (paused_here) (void)unpause_locked(entry);
    Digest id = TRY(std::move(committed));
    return id.str();
}

}  // namespace berth::engine
