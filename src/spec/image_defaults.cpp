#include "spec/image_defaults.h"

#include <string>
#include <string_view>

namespace berth::spec {

namespace {

bool is_set_string(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

bool is_non_empty(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it != obj.end() && !it->is_null() && !it->empty();
}

// A numeric Healthcheck field left at zero.
bool is_zero(const Json& obj, const char* key) {
    auto it = obj.find(key);
    return it == obj.end() || it->is_null() || (it->is_number() && it->get<double>() == 0);
}

std::string_view env_name(const std::string& entry) {
    std::string_view v = entry;
    return v.substr(0, v.find('='));
}

// Union of two JSON objects; keys of `mine` win.
Json union_objects(const Json& mine, const Json& theirs) {
    Json out = mine.is_object() ? mine : Json::object();
    if (theirs.is_object())
        for (auto it = theirs.begin(); it != theirs.end(); ++it)
            if (!out.contains(it.key())) out[it.key()] = it.value();
    return out;
}

Result<void> check_type(const Json& obj, const char* key, bool (Json::*is)() const noexcept,
                        const char* what, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null() || ((*it).*is)()) return {};
    return fail(ErrorKind::InvalidArgument,
                std::string(where) + "." + key + ": must be " + what + ", not " + it->type_name());
}

// The fields merged below must have the types docker gives them.
Result<void> check_types(const Json& config, std::string_view where) {
    for (const char* key : {"Env", "Cmd", "Entrypoint"})
        TRY(check_type(config, key, &Json::is_array, "an array", where));
    for (const char* key : {"ExposedPorts", "Volumes", "Labels", "Healthcheck"})
        TRY(check_type(config, key, &Json::is_object, "an object", where));
    for (const char* key : {"User", "WorkingDir", "StopSignal"})
        TRY(check_type(config, key, &Json::is_string, "a string", where));
    for (const char* key : {"Env", "Cmd", "Entrypoint"}) {
        auto it = config.find(key);
        if (it == config.end() || !it->is_array()) continue;
        for (const Json& item : *it)
            if (!item.is_string()) {
                return fail(ErrorKind::InvalidArgument,
                            std::string(where) + "." + key + ": must be an array of strings");
            }
    }
    return {};
}

}  // namespace

Result<Json> merge_image_config(const Json& request_config, const Json& image_config) {
    if (!request_config.is_null() && !request_config.is_object())
        return fail(ErrorKind::InvalidArgument, "Config: must be an object");
    Json out = request_config.is_object() ? request_config : Json::object();
    const Json empty = Json::object();
    const Json& image = image_config.is_object() ? image_config : empty;
    TRY(check_types(out, "Config"));
    TRY(check_types(image, "image config"));

    for (const char* key : {"User", "WorkingDir", "StopSignal"})
        if (!is_set_string(out, key) && is_set_string(image, key)) out[key] = image[key];

    if (!is_non_empty(out, "Env")) {
        out["Env"] = image.contains("Env") ? image["Env"] : Json();
    } else if (is_non_empty(image, "Env")) {
        Json env = out["Env"];
        for (const Json& item : image["Env"]) {
            std::string_view name = env_name(item.get_ref<const std::string&>());
            bool overridden = false;
            for (const Json& mine : out["Env"])
                overridden |= env_name(mine.get_ref<const std::string&>()) == name;
            if (!overridden) env.push_back(item);
        }
        out["Env"] = std::move(env);
    }

    out["Labels"] = union_objects(out.value("Labels", Json()), image.value("Labels", Json()));
    for (const char* key : {"ExposedPorts", "Volumes"}) {
        if (is_non_empty(out, key) || is_non_empty(image, key))
            out[key] = union_objects(out.value(key, Json()), image.value(key, Json()));
    }

    if (!is_non_empty(out, "Entrypoint")) {
        if (!is_non_empty(out, "Cmd")) out["Cmd"] = image.contains("Cmd") ? image["Cmd"] : Json();
        // Only an absent Entrypoint inherits; an explicit [] keeps the image's out.
        auto entry = out.find("Entrypoint");
        if (entry == out.end() || entry->is_null())
            out["Entrypoint"] = image.contains("Entrypoint") ? image["Entrypoint"] : Json();
    }

    if (is_non_empty(image, "Healthcheck")) {
        if (!is_non_empty(out, "Healthcheck")) {
            out["Healthcheck"] = image["Healthcheck"];
        } else {
            Json& mine = out["Healthcheck"];
            const Json& theirs = image["Healthcheck"];
            if (!is_non_empty(mine, "Test") && theirs.contains("Test"))
                mine["Test"] = theirs["Test"];
            for (const char* key :
                 {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"}) {
                if (is_zero(mine, key) && theirs.contains(key)) mine[key] = theirs[key];
            }
        }
    }

    // Entrypoint [""] resets the entrypoint (docker run --entrypoint "").
    if (const Json& ep = out["Entrypoint"];
        ep.is_array() && ep.size() == 1 && ep[0].is_string() && ep[0].get<std::string>().empty())
        out["Entrypoint"] = Json();
    if (!is_non_empty(out, "Entrypoint") && !is_non_empty(out, "Cmd"))
        return fail(ErrorKind::InvalidArgument, "no command specified");
    return out;
}

}  // namespace berth::spec
