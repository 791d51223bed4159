#include "api/daemon_config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <functional>
#include <set>

#include "api/listeners.h"
#include "base/byte_size.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/parse_int.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif
#ifndef BERTH_GIT_COMMIT
#define BERTH_GIT_COMMIT "unknown"
#endif

namespace berth::api {
namespace {

Error invalid(std::string message) {
    return Error(ErrorKind::InvalidArgument, std::move(message));
}

// ---- values as dockerd prints them in its conflict message (Go's %v) -------------------------

std::string go_format(const std::vector<std::string>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i)
        out += (i ? " " : "") + values[i];
    return out + "]";
}
std::string go_format(const std::string& value) {
    return value;
}
std::string go_format(bool value) {
    return value ? "true" : "false";
}
std::string go_format(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::vector<std::string> items;
        for (const auto& item : value)
            items.push_back(go_format(item));
        return go_format(items);
    }
    return value.dump();
}

// ---- the keys of daemon.json -----------------------------------------------------------------

// Every key the file may hold, and the flag that says the same thing (for the conflict check).
struct Key {
    const char* name;
    std::function<std::optional<std::string>(const DaemonFlags&)> flag;  // printed flag value
};

template <typename T>
std::function<std::optional<std::string>(const DaemonFlags&)> flag_of(
    std::optional<T> DaemonFlags::*member) {
    return [member](const DaemonFlags& flags) -> std::optional<std::string> {
        if (!(flags.*member)) return std::nullopt;
        return go_format(*(flags.*member));
    };
}

const std::vector<Key>& keys() {
    static const std::vector<Key> all = {
        {"hosts", flag_of(&DaemonFlags::hosts)},
        {"data-root", flag_of(&DaemonFlags::root)},
        {"exec-root", flag_of(&DaemonFlags::exec_root)},
        {"pidfile", flag_of(&DaemonFlags::pidfile)},
        {"group", flag_of(&DaemonFlags::group)},
        {"debug", flag_of(&DaemonFlags::debug)},
        {"log-level", flag_of(&DaemonFlags::log_level)},
        {"tls", flag_of(&DaemonFlags::tls)},
        {"tlsverify", flag_of(&DaemonFlags::tls_verify)},
        {"tlscacert", flag_of(&DaemonFlags::tls_ca)},
        {"tlscert", flag_of(&DaemonFlags::tls_cert)},
        {"tlskey", flag_of(&DaemonFlags::tls_key)},
        {"insecure-tcp", flag_of(&DaemonFlags::insecure_tcp)},
        {"runtimes", flag_of(&DaemonFlags::add_runtime)},
        {"default-runtime", flag_of(&DaemonFlags::default_runtime)},
        {"log-driver", flag_of(&DaemonFlags::log_driver)},
        {"log-opts", flag_of(&DaemonFlags::log_opts)},
        {"default-ulimits", flag_of(&DaemonFlags::default_ulimits)},
        {"live-restore", flag_of(&DaemonFlags::live_restore)},
    };
    return all;
}

Result<std::string> get_string(const Json& value, std::string_view key) {
    if (!value.is_string())
        return fail(invalid(std::string(key) + ": must be a string, not " + value.type_name()));
    return value.get<std::string>();
}
Result<bool> get_bool(const Json& value, std::string_view key) {
    if (!value.is_boolean())
        return fail(invalid(std::string(key) + ": must be true or false, not " + value.dump()));
    return value.get<bool>();
}
Result<std::vector<std::string>> get_strings(const Json& value, std::string_view key) {
    if (!value.is_array())
        return fail(
            invalid(std::string(key) + ": must be a list of strings, not " + value.type_name()));
    std::vector<std::string> out;
    for (const auto& item : value)
        out.push_back(TRY(get_string(item, std::string(key) + "[]")));
    return out;
}

// {"crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]}}
Result<std::map<std::string, RuntimeConfig>> get_runtimes(const Json& value) {
    if (!value.is_object()) return fail(invalid("runtimes: must be an object of runtimes by name"));
    std::map<std::string, RuntimeConfig> out;
    for (const auto& [name, spec] : value.items()) {
        std::string where = "runtimes." + name;
        if (!spec.is_object()) return fail(invalid(where + ": must be an object"));
        RuntimeConfig runtime;
        for (const auto& [field, field_value] : spec.items()) {
            if (field == "path") {
                runtime.path = TRY(get_string(field_value, where + ".path"));
            } else if (field == "runtimeArgs") {
                runtime.args = TRY(get_strings(field_value, where + ".runtimeArgs"));
            } else if (field == "runtimeType" || field == "options") {
                return fail(invalid(where + ": " + field +
                                    " is not supported: berth runs runc-compatible binaries "
                                    "(give \"path\")"));
            } else {
                return fail(invalid(where + ": unknown key " + field));
            }
        }
        out.emplace(name, std::move(runtime));
    }
    return out;
}

// {"nofile": {"Name": "nofile", "Soft": 1024, "Hard": 2048}}; Go's JSON matches field names
// regardless of case, so "soft" works for dockerd and here.
Result<std::map<std::string, Ulimit>> get_ulimits(const Json& value) {
    if (!value.is_object())
        return fail(invalid("default-ulimits: must be an object of limits by name"));
    std::map<std::string, Ulimit> out;
    for (const auto& [name, spec] : value.items()) {
        std::string where = "default-ulimits." + name;
        if (!spec.is_object()) return fail(invalid(where + ": must be an object"));
        Ulimit limit;
        limit.name = name;
        bool soft = false, hard = false;
        for (const auto& [field, field_value] : spec.items()) {
            std::string lower = field;
            std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
            if (lower == "name") {
                std::string given = TRY(get_string(field_value, where + ".Name"));
                if (given != name)
                    return fail(invalid(where + ": Name \"" + given + "\" differs from the key"));
            } else if (lower == "soft" || lower == "hard") {
                if (!field_value.is_number_integer())
                    return fail(invalid(where + "." + field + ": must be an integer"));
                (lower == "soft" ? limit.soft : limit.hard) = field_value.get<int64_t>();
                (lower == "soft" ? soft : hard) = true;
            } else {
                return fail(invalid(where + ": unknown key " + field));
            }
        }
        if (!soft || !hard) return fail(invalid(where + ": needs both Soft and Hard"));
        auto checked = parse_ulimit(name + "=" + std::to_string(limit.soft) + ":" +
                                    std::to_string(limit.hard));
        if (!checked) return fail(std::move(checked).error().context("default-ulimits"));
        out.emplace(name, *checked);
    }
    return out;
}

Result<std::map<std::string, std::string>> get_string_map(const Json& value, std::string_view key) {
    if (!value.is_object())
        return fail(invalid(std::string(key) + ": must be an object of strings"));
    std::map<std::string, std::string> out;
    for (const auto& [name, item] : value.items())
        out[name] = TRY(get_string(item, std::string(key) + "." + name));
    return out;
}

// Applies one key of the file to the configuration.
Result<void> apply_file_key(DaemonConfig& config, const std::string& key, const Json& value) {
    if (key == "hosts")
        config.hosts = TRY(get_strings(value, key));
    else if (key == "data-root")
        config.root = TRY(get_string(value, key));
    else if (key == "exec-root")
        config.exec_root = TRY(get_string(value, key));
    else if (key == "pidfile")
        config.pidfile = TRY(get_string(value, key));
    else if (key == "group")
        config.group = TRY(get_string(value, key));
    else if (key == "debug")
        config.debug = TRY(get_bool(value, key));
    else if (key == "log-level")
        config.log_level = TRY(get_string(value, key));
    else if (key == "tls")
        config.tls = TRY(get_bool(value, key));
    else if (key == "tlsverify")
        config.tls_verify = TRY(get_bool(value, key));
    else if (key == "tlscacert")
        config.tls_ca = TRY(get_string(value, key));
    else if (key == "tlscert")
        config.tls_cert = TRY(get_string(value, key));
    else if (key == "tlskey")
        config.tls_key = TRY(get_string(value, key));
    else if (key == "insecure-tcp")
        config.insecure_tcp = TRY(get_bool(value, key));
    else if (key == "runtimes")
        config.runtimes = TRY(get_runtimes(value));
    else if (key == "default-runtime")
        config.default_runtime = TRY(get_string(value, key));
    else if (key == "log-driver")
        config.log_driver = TRY(get_string(value, key));
    else if (key == "log-opts")
        config.log_opts = TRY(get_string_map(value, key));
    else if (key == "default-ulimits")
        config.default_ulimits = TRY(get_ulimits(value));
    else if (key == "live-restore")
        config.live_restore = TRY(get_bool(value, key));
    return {};
}

// Keys of the file: unknown ones, then ones a flag gives too; then the values.
Result<void> apply_file(DaemonConfig& config, const Json& file, const DaemonFlags& flags) {
    if (!file.is_object()) return fail(invalid("the file must hold a JSON object"));
    std::vector<std::string> unknown;
    for (const auto& [key, value] : file.items()) {
        bool known =
            std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return key == k.name; });
        if (!known) unknown.push_back(key);
    }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& key : unknown)
            list += (list.empty() ? "" : ", ") + key;
        return fail(
            invalid("the following directives don't match any configuration option: " + list));
    }
    std::string conflicts;
    for (const auto& key : keys()) {
        auto from_flag = key.flag(flags);
        if (!from_flag || !file.contains(key.name)) continue;
        conflicts += std::string(conflicts.empty() ? "" : ", ") + key.name +
                     ": (from flag: " + *from_flag +
                     ", from file: " + go_format(file.at(key.name)) + ")";
    }
    if (!conflicts.empty())
        return fail(invalid(
            "the following directives are specified both as a flag and in the configuration "
            "file: " +
            conflicts));
    for (const auto& [key, value] : file.items())
        TRY(apply_file_key(config, key, value));
    return {};
}

Result<std::pair<std::string, std::string>> split_pair(std::string_view text, std::string_view flag,
                                                       std::string_view form) {
    size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0)
        return fail(invalid("invalid " + std::string(flag) + " " + std::string(text) +
                            ": expected " + std::string(form)));
    return std::pair{std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
}

Result<void> apply_flags(DaemonConfig& config, const DaemonFlags& flags) {
    if (flags.hosts) config.hosts = *flags.hosts;
    if (flags.root) config.root = *flags.root;
    if (flags.exec_root) config.exec_root = *flags.exec_root;
    if (flags.pidfile) config.pidfile = *flags.pidfile;
    if (flags.group) config.group = *flags.group;
    if (flags.debug) config.debug = *flags.debug;
    if (flags.recover_metadata) config.recover_metadata = *flags.recover_metadata;
    if (flags.log_level) config.log_level = *flags.log_level;
    if (flags.tls) config.tls = *flags.tls;
    if (flags.tls_verify) config.tls_verify = *flags.tls_verify;
    if (flags.tls_ca) config.tls_ca = *flags.tls_ca;
    if (flags.tls_cert) config.tls_cert = *flags.tls_cert;
    if (flags.tls_key) config.tls_key = *flags.tls_key;
    if (flags.insecure_tcp) config.insecure_tcp = *flags.insecure_tcp;
    if (flags.add_runtime) {
        for (const auto& text : *flags.add_runtime) {
            auto [name, path] = TRY(split_pair(text, "--add-runtime", "NAME=PATH"));
            if (config.runtimes.contains(name))
                return fail(invalid("runtime " + name + " is given twice"));
            config.runtimes[name] = RuntimeConfig{path, {}};
        }
    }
    if (flags.default_runtime) config.default_runtime = *flags.default_runtime;
    if (flags.log_driver) config.log_driver = *flags.log_driver;
    if (flags.log_opts) {
        for (const auto& text : *flags.log_opts) {
            auto [key, value] = TRY(split_pair(text, "--log-opt", "KEY=VALUE"));
            config.log_opts[key] = value;
        }
    }
    if (flags.default_ulimits) {
        for (const auto& text : *flags.default_ulimits) {
            Ulimit limit = TRY(parse_ulimit(text));
            config.default_ulimits[limit.name] = limit;
        }
    }
    if (flags.live_restore) config.live_restore = *flags.live_restore;
    return {};
}

Result<void> validate_log_opts(const DaemonConfig& config) {
    static const std::set<std::string> common = {"env", "env-regex", "labels", "labels-regex",
                                                 "tag"};
    for (const auto& [key, value] : config.log_opts) {
        if (common.contains(key)) continue;
        if (key == "max-size") {
            // json-file reads max-size in decimal units (go-units FromHumanSize), as dockerd does.
            int64_t size = TRY_CTX(parse_human_size(value), "log-opts max-size");
            if (size <= 0) return fail(invalid("log-opts max-size: must be more than 0"));
        } else if (key == "max-file") {
            auto files = parse_int<int>(value);
            if (!files || *files < 1)
                return fail(
                    invalid("log-opts max-file: must be a number of files, 1 or more, "
                            "not \"" +
                            value + "\""));
        } else if (key == "compress") {
            if (value != "true" && value != "false")
                return fail(
                    invalid("log-opts compress: must be true or false, not \"" + value + "\""));
        } else {
            return fail(invalid("unknown log opt '" + key + "' for json-file log driver"));
        }
    }
    if (config.log_opts.contains("max-file") && !config.log_opts.contains("max-size") &&
        config.log_opts.at("max-file") != "1")
        return fail(invalid("log-opts max-file needs max-size: files rotate when they reach it"));
    return {};
}

Result<void> validate(DaemonConfig& config) {
    if (config.hosts.empty()) config.hosts = {kDefaultHost};
    for (std::string* path : {&config.root, &config.exec_root}) {
        if (path->empty() || path->front() != '/')
            return fail(invalid(std::string(path == &config.root ? "data-root" : "exec-root") +
                                " must be an absolute path, not \"" + *path + "\""));
        *path = clean_path(*path);
    }
    if (config.pidfile.empty()) config.pidfile = config.exec_root + "/berthd.pid";
    if (config.pidfile.front() != '/')
        return fail(invalid("pidfile must be an absolute path, not \"" + config.pidfile + "\""));

    static const std::array<std::string_view, 5> levels = {"debug", "info", "warn", "error",
                                                           "fatal"};
    if (config.log_level == "warning") config.log_level = "warn";
    if (std::find(levels.begin(), levels.end(), config.log_level) == levels.end())
        return fail(invalid("invalid log level \"" + config.log_level +
                            "\": use debug, info, warn, error or fatal"));
    if (config.debug) config.log_level = "debug";

    // --tlsverify implies --tls, whatever --tls says (dockerd's rule).
    if (config.tls_verify) config.tls = true;
    if (config.tls) {
        if (config.tls_cert.empty() || config.tls_key.empty())
            return fail(
                invalid("TLS needs the server's certificate and key: --tlscert and "
                        "--tlskey (tlscert, tlskey)"));
        if (config.tls_verify && config.tls_ca.empty())
            return fail(
                invalid("--tlsverify needs --tlscacert (tlscacert): the CA that signs "
                        "client certificates"));
    }
    for (const auto& host : config.hosts)
        TRY(parse_host(host, config.tls));

    for (const auto& [name, runtime] : config.runtimes) {
        if (name == kBuiltinRuntime)
            return fail(invalid("runtime name '" + name + "' is reserved"));
        if (name.empty() || name.find_first_of("/ \t") != std::string::npos)
            return fail(invalid("invalid runtime name \"" + name + "\""));
        if (runtime.path.empty())
            return fail(invalid("runtime " + name + ": needs a path to a runc-compatible binary"));
    }
    if (config.default_runtime != kBuiltinRuntime &&
        !config.runtimes.contains(config.default_runtime))
        return fail(invalid("default-runtime \"" + config.default_runtime +
                            "\" is neither berth nor one of the configured runtimes"));

    if (config.log_driver != "json-file")
        return fail(invalid("log driver \"" + config.log_driver +
                            "\" is not supported: berth has json-file only"));
    TRY(validate_log_opts(config));
    return {};
}

}  // namespace

bool DaemonConfig::has_tcp_host() const {
    return std::any_of(hosts.begin(), hosts.end(),
                       [](const std::string& host) { return host.starts_with("tcp://"); });
}

Result<Ulimit> parse_ulimit(std::string_view text) {
    static const std::set<std::string, std::less<>> names = {
        "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
        "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
    auto [name, values] = TRY(split_pair(text, "ulimit", "NAME=SOFT[:HARD]"));
    if (!names.contains(name)) return fail(invalid("invalid ulimit type: " + name));
    auto number = [&](std::string_view part) -> Result<int64_t> {
        auto value = parse_int<int64_t>(part);
        if (!value || *value < -1)
            return fail(invalid("invalid ulimit " + std::string(text) + ": \"" + std::string(part) +
                                "\" is not a limit (-1 for unlimited)"));
        return *value;
    };
    Ulimit limit;
    limit.name = name;
    size_t colon = values.find(':');
    limit.soft = TRY(number(std::string_view(values).substr(0, colon)));
    limit.hard = colon == std::string::npos
                     ? limit.soft
                     : TRY(number(std::string_view(values).substr(colon + 1)));
    bool soft_unlimited = limit.soft == -1, hard_unlimited = limit.hard == -1;
    if (!hard_unlimited && (soft_unlimited || limit.soft > limit.hard))
        return fail(invalid("ulimit soft limit must be less than or equal to hard limit: " +
                            std::to_string(limit.soft) + " > " + std::to_string(limit.hard)));
    return limit;
}

ParsedCommandLine parse_daemon_flags(int argc, const char* const* argv) {
    ParsedCommandLine parsed;
    DaemonFlags& flags = parsed.flags;
    CLI::App app{"berthd: the berth daemon (Docker Engine API)", "berthd"};
    // Values land here; only options given on the command line are copied into `flags`.
    std::string config_file, root, exec_root, pidfile, group, log_level, tls_ca, tls_cert, tls_key,
        default_runtime, log_driver;
    std::vector<std::string> hosts, runtimes, log_opts, ulimits;
    bool debug = false, tls = false, tls_verify = false, insecure_tcp = false, live_restore = false,
         recover_metadata = false;
    std::vector<std::function<void()>> copy;
    auto option = [&](const char* names, auto& value, auto member, const char* help) {
        CLI::Option* o = app.add_option(names, value, help);
        copy.push_back([&flags, &value, o, member] {
            if (o->count()) flags.*member = value;
        });
        return o;
    };
    auto flag = [&](const char* names, bool& value, std::optional<bool> DaemonFlags::*member,
                    const char* help) {
        CLI::Option* o = app.add_flag(names, value, help);
        copy.push_back([&flags, &value, o, member] {
            if (o->count()) flags.*member = value;
        });
    };
    option("--config-file", config_file, &DaemonFlags::config_file,
           "Daemon configuration file (default /etc/berth/daemon.json)");
    option("-H,--host", hosts, &DaemonFlags::hosts,
           "Daemon socket(s) to listen on: unix:///path, tcp://HOST:PORT, fd:// (repeatable)")
        ->allow_extra_args(false);
    option("--data-root,--root", root, &DaemonFlags::root,
           "Root directory of persistent state (default /var/lib/berth)");
    option("--exec-root", exec_root, &DaemonFlags::exec_root,
           "Root directory of runtime state: monitor sockets, containers' runtime state "
           "(default /run/berth)");
    option("-p,--pidfile", pidfile, &DaemonFlags::pidfile,
           "Path of the daemon's PID file (default <exec-root>/berthd.pid)");
    option("-G,--group", group, &DaemonFlags::group,
           "Group of the unix sockets (default berth, when it exists)");
    flag("-D,--debug", debug, &DaemonFlags::debug, "Debug logging: one line per request");
    option("-l,--log-level", log_level, &DaemonFlags::log_level,
           "Log level: debug, info, warn, error, fatal (default info)");
    flag("--tls", tls, &DaemonFlags::tls, "Serve TLS on tcp:// hosts; implied by --tlsverify");
    flag("--tlsverify", tls_verify, &DaemonFlags::tls_verify,
         "Serve TLS and require client certificates signed by --tlscacert");
    option("--tlscacert", tls_ca, &DaemonFlags::tls_ca, "CA that signs client certificates");
    option("--tlscert", tls_cert, &DaemonFlags::tls_cert, "The server's TLS certificate");
    option("--tlskey", tls_key, &DaemonFlags::tls_key, "The server's TLS key");
    flag("--insecure-tcp", insecure_tcp, &DaemonFlags::insecure_tcp,
         "Allow tcp:// hosts without TLS: anyone who can connect is root on this machine");
    option("--add-runtime", runtimes, &DaemonFlags::add_runtime,
           "A runc-compatible runtime: NAME=PATH (repeatable)")
        ->allow_extra_args(false);
    option("--default-runtime", default_runtime, &DaemonFlags::default_runtime,
           "Runtime of containers that name none (default berth)");
    option("--log-driver", log_driver, &DaemonFlags::log_driver,
           "Containers' log driver (json-file)");
    option("--log-opt", log_opts, &DaemonFlags::log_opts,
           "Log driver option KEY=VALUE: max-size, max-file, compress, … (repeatable)")
        ->allow_extra_args(false);
    option("--default-ulimit", ulimits, &DaemonFlags::default_ulimits,
           "Containers' default ulimit NAME=SOFT[:HARD] (repeatable)")
        ->allow_extra_args(false);
    flag("--live-restore", live_restore, &DaemonFlags::live_restore,
         "Accepted for dockerd's sake: containers always outlive berthd");
    flag("--recover-metadata", recover_metadata, &DaemonFlags::recover_metadata,
         "Rebuild a damaged or lost metadata.db from the containers' and images' files (the "
         "damaged file is kept as metadata.db.damaged-TIME)");
    app.set_version_flag("-v,--version",
                         "berthd version " BERTH_VERSION ", build " BERTH_GIT_COMMIT);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        parsed.exit_code = code == 0 ? 0 : 2;
        return parsed;
    }
    for (auto& f : copy)
        f();
    return parsed;
}

Result<DaemonConfig> load_daemon_config(const DaemonFlags& flags, const std::string& default_file) {
    DaemonConfig config;
    std::string path = flags.config_file.value_or(default_file);
    bool explicit_file = flags.config_file.has_value();
    if (explicit_file || path_exists(path)) {
        auto context = "unable to configure berthd with file " + path;
        auto text = read_file(path);
        if (!text) return fail(std::move(text).error().context(context));
        // An empty file is an empty configuration (dockerd agrees).
        if (text->find_first_not_of(" \t\r\n") != std::string::npos) {
            Json file = TRY_CTX(parse_json(*text, "invalid JSON"), context);
            TRY_CTX(apply_file(config, file, flags), context);
        }
    }
    TRY(apply_flags(config, flags));
    TRY(validate(config));
    return config;
}

}  // namespace berth::api
