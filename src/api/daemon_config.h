// berthd's configuration: /etc/berth/daemon.json merged with the command line, with dockerd's
// key names where the two overlap. A setting may come from the file or from a flag, never both
// (dockerd's rule: "the following directives are specified both as a flag and in the
// configuration file: …"); an unknown key in the file is an error naming it.
//
// parse_daemon_flags() reads the command line into DaemonFlags (only what was given);
// load_daemon_config() reads the file, merges, fills in defaults and validates the result, so a
// DaemonConfig is always consistent: hosts parse, TLS has its files, the default runtime exists.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::api {

inline constexpr const char* kDefaultConfigFile = "/etc/berth/daemon.json";
inline constexpr const char* kDefaultHost = "unix:///run/berth/berth.sock";
inline constexpr const char* kBuiltinRuntime = "berth";

// A runtime besides the built-in one: a runc-compatible binary (`runtimes` in daemon.json,
// --add-runtime NAME=PATH).
struct RuntimeConfig {
    std::string path;
    std::vector<std::string> args;  // runtimeArgs: put before the runtime's subcommand
};

// A resource limit for containers that set none (`default-ulimits`, --default-ulimit).
struct Ulimit {
    std::string name;  // "nofile", "nproc", … (RLIMIT_ without the prefix, lower case)
    int64_t soft = 0;
    int64_t hard = 0;  // -1: unlimited
};

struct DaemonConfig {
    std::vector<std::string> hosts{kDefaultHost};  // unix:///path, tcp://host:port, fd://[N]
    std::string root = "/var/lib/berth";           // data-root: persistent state
    std::string exec_root = "/run/berth";          // runtime state, monitor sockets
    std::string pidfile;                           // default: <exec-root>/berthd.pid
    std::string group = "berth";                   // the unix sockets' group, when it exists
    bool debug = false;
    std::string log_level = "info";  // debug, info, warn, error, fatal (debug when debug is set)

    bool tls = false;         // serve TLS on tcp:// hosts (implied by tls_verify)
    bool tls_verify = false;  // and require client certificates signed by tls_ca
    std::string tls_ca, tls_cert, tls_key;
    // berth's own: plain HTTP on tcp:// hosts (anyone who can connect is root on this machine).
    bool insecure_tcp = false;

    std::map<std::string, RuntimeConfig> runtimes;  // without the built-in "berth"
    std::string default_runtime = kBuiltinRuntime;
    std::string log_driver = "json-file";
    std::map<std::string, std::string> log_opts;  // validated for json-file
    std::map<std::string, Ulimit> default_ulimits;
    bool live_restore = true;  // accepted for dockerd's sake: containers always outlive berthd
    // --recover-metadata (command line only): a damaged or lost metadata.db is moved aside and
    // rebuilt from the containers' and images' files instead of refused.
    bool recover_metadata = false;

    bool has_tcp_host() const;
};

// What the command line said. Each field is set only when its flag was given, so that a flag
// and a file key saying the same thing can be told apart from a default.
struct DaemonFlags {
    std::optional<std::string> config_file;
    std::optional<std::vector<std::string>> hosts;
    std::optional<std::string> root, exec_root, pidfile, group, log_level;
    std::optional<bool> debug, tls, tls_verify, insecure_tcp, live_restore, recover_metadata;
    std::optional<std::string> tls_ca, tls_cert, tls_key;
    std::optional<std::vector<std::string>> add_runtime;      // NAME=PATH
    std::optional<std::string> default_runtime, log_driver;   //
    std::optional<std::vector<std::string>> log_opts;         // KEY=VALUE
    std::optional<std::vector<std::string>> default_ulimits;  // NAME=SOFT[:HARD]
};

// Either flags to go on with, or an exit code: --help and --version print and exit 0; a bad
// command line prints the error and the usage and exits 2, as CLI11 does.
struct ParsedCommandLine {
    DaemonFlags flags;
    std::optional<int> exit_code;
};
ParsedCommandLine parse_daemon_flags(int argc, const char* const* argv);

// The configuration from `flags` and the file (flags.config_file, else kDefaultConfigFile
// when it exists). `default_file` lets tests point the default elsewhere.
Result<DaemonConfig> load_daemon_config(const DaemonFlags& flags,
                                        const std::string& default_file = kDefaultConfigFile);

// Parses --default-ulimit's NAME=SOFT[:HARD].
Result<Ulimit> parse_ulimit(std::string_view text);

}  // namespace berth::api
