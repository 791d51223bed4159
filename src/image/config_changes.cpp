#include "image/config_changes.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/parse_int.h"
#include "base/utf8.h"

namespace berth::image {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

// Splits shell-like words: whitespace separates, quotes group, backslash escapes.
Result<std::vector<std::string>> split_words(std::string_view text) {
    std::vector<std::string> words;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
                current += text[++i];
            } else {
                current += c;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            current += text[++i];
            in_word = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (in_word) words.push_back(std::move(current));
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (quote)
        return fail(ErrorKind::InvalidArgument,
                    "unterminated quote in \"" + std::string(text) + "\"");
    if (in_word) words.push_back(std::move(current));
    return words;
}

// "CMD [\"a\", \"b\"]" (exec form) or "CMD a b" (shell form, run by /bin/sh -c).
Result<Json> command_form(std::string_view args) {
    if (args.starts_with("[")) {
        auto parsed = parse_json(args, "instruction");
        if (parsed && parsed->is_array() &&
            std::all_of(parsed->begin(), parsed->end(),
                        [](const Json& j) { return j.is_string(); }))
            return *parsed;
    }
    return Json::array({"/bin/sh", "-c", std::string(args)});
}

// "A=1 B=\"two words\"" or the legacy single "A value with spaces".
Result<std::vector<std::pair<std::string, std::string>>> key_values(std::string_view instruction,
                                                                    std::string_view args) {
    std::vector<std::pair<std::string, std::string>> out;
    auto words = TRY(split_words(args));
    if (words.empty())
        return fail(ErrorKind::InvalidArgument,
                    std::string(instruction) + " requires at least one argument");
    if (words[0].find('=') == std::string::npos) {
        auto space = args.find_first_of(" \t");
        if (space == std::string_view::npos)
            return fail(ErrorKind::InvalidArgument,
                        std::string(instruction) + " names a key without a value");
        out.emplace_back(std::string(args.substr(0, space)), std::string(trim(args.substr(space))));
        return out;
    }
    for (auto& word : words) {
        auto eq = word.find('=');
        if (eq == std::string::npos || eq == 0)
            return fail(ErrorKind::InvalidArgument, std::string(instruction) + ": \"" + word +
                                                        "\" is not of the form key=value");
        out.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
    return out;
}

Json& object_field(Json& config, const char* key) {
    if (!config.contains(key) || !config[key].is_object()) config[key] = Json::object();
    return config[key];
}

// ENV: each KEY=value replaces the variable's entry, or is added.
Result<void> apply_env(Json& config, const std::string& keyword, std::string_view args) {
    Json env = config.contains("Env") && config["Env"].is_array() ? config["Env"] : Json::array();
    for (auto& [key, value] : TRY(key_values(keyword, args))) {
        std::string entry = key + "=" + value;
        auto same = std::find_if(env.begin(), env.end(), [&](const Json& j) {
            return j.is_string() && j.get<std::string>().starts_with(key + "=");
        });
        if (same != env.end())
            *same = entry;
        else
            env.push_back(entry);
    }
    config["Env"] = env;
    return {};
}

// EXPOSE: "80", "53/udp": a port from 0 to 65535 with tcp, udp or sctp.
Result<void> apply_expose(Json& config, std::string_view args) {
    Json ports = config.contains("ExposedPorts") && config["ExposedPorts"].is_object()
                     ? config["ExposedPorts"]
                     : Json::object();
    for (auto& port : TRY(split_words(args))) {
        std::string number = port.substr(0, port.find('/'));
        std::string proto =
            port.find('/') == std::string::npos ? "tcp" : port.substr(port.find('/') + 1);
        bool numeric = !number.empty() && std::all_of(number.begin(), number.end(), ::isdigit) &&
                       number.size() <= 5;
        if (!numeric || parse_int<uint32_t>(number).value_or(0) > 65535 ||
            (proto != "tcp" && proto != "udp" && proto != "sctp"))
            return fail(ErrorKind::InvalidArgument, "EXPOSE: invalid port \"" + port + "\"");
        ports[number + "/" + proto] = Json::object();
    }
    config["ExposedPorts"] = ports;
    return {};
}

// VOLUME: a JSON array, or paths separated by spaces.
Result<void> apply_volume(Json& config, std::string_view args) {
    Json& volumes = object_field(config, "Volumes");
    Json list = TRY(command_form(args));
    if (list.size() == 3 && list[0] == "/bin/sh" && !args.starts_with("[")) {
        list = Json::array();
        for (auto& word : TRY(split_words(args)))
            list.push_back(word);
    }
    for (auto& path : list)
        volumes[path.get<std::string>()] = Json::object();
    return {};
}

}  // namespace

Result<void> apply_config_change(Json& config, std::string_view instruction_text) {
    // The config is JSON, which holds only UTF-8: other bytes would make it unwritable later.
    if (!is_valid_utf8(instruction_text))
        return fail(ErrorKind::InvalidArgument, "change instruction is not valid UTF-8");
    std::string_view text = trim(instruction_text);
    auto space = text.find_first_of(" \t");
    std::string keyword(text.substr(0, space));
    std::transform(keyword.begin(), keyword.end(), keyword.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    std::string_view args =
        space == std::string_view::npos ? std::string_view() : trim(text.substr(space));
    if (!config.is_object()) config = Json::object();
    auto need_args = [&]() -> Result<void> {
        if (args.empty())
            return fail(ErrorKind::InvalidArgument, keyword + " requires an argument");
        return {};
    };

    if (keyword == "CMD") {
        TRY(need_args());
        config["Cmd"] = TRY(command_form(args));
    } else if (keyword == "ENTRYPOINT") {
        TRY(need_args());
        config["Entrypoint"] = TRY(command_form(args));
    } else if (keyword == "ENV") {
        TRY(apply_env(config, keyword, args));
    } else if (keyword == "LABEL") {
        Json& labels = object_field(config, "Labels");
        for (auto& [key, value] : TRY(key_values(keyword, args)))
            labels[key] = value;
    } else if (keyword == "EXPOSE") {
        TRY(need_args());
        TRY(apply_expose(config, args));
    } else if (keyword == "VOLUME") {
        TRY(need_args());
        TRY(apply_volume(config, args));
    } else if (keyword == "USER") {
        TRY(need_args());
        config["User"] = std::string(args);
    } else if (keyword == "WORKDIR") {
        TRY(need_args());
        std::string dir(args);
        if (!dir.starts_with("/"))
            dir = join_path(config.value("WorkingDir", std::string("/")), dir);
        config["WorkingDir"] = clean_path(dir);
    } else if (keyword == "STOPSIGNAL") {
        TRY(need_args());
        config["StopSignal"] = std::string(args);
    } else if (keyword == "ONBUILD") {
        TRY(need_args());
        if (!config.contains("OnBuild") || !config["OnBuild"].is_array())
            config["OnBuild"] = Json::array();
        config["OnBuild"].push_back(std::string(args));
    } else {
        return fail(ErrorKind::InvalidArgument, keyword.empty()
                                                    ? "empty change instruction"
                                                    : keyword + " is not a valid change command");
    }
    return {};
}

}  // namespace berth::image
