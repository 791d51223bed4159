// Where the daemon is: docker's -H/--host syntax (unix:///path, tcp://host:port) and the order in
// which berth picks one (flag, BERTH_HOST, DOCKER_HOST, the default socket).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::client {

inline constexpr std::string_view kDefaultHost = "unix:///run/berth/berth.sock";

struct DaemonHost {
    enum class Kind { Unix, Tcp };
    Kind kind = Kind::Unix;
    std::string path;  // unix: the socket path
    std::string host;  // tcp: host name or address (IPv6 without brackets)
    std::string port;  // tcp: port, 2375 (2376 with TLS) when not given
    std::string text;  // the normalised address, as error messages show it

    bool operator==(const DaemonHost&) const = default;
};

// Parses an address; `tls` picks the default TCP port as docker does.
Result<DaemonHost> parse_daemon_host(std::string_view text, bool tls = false);

// The first non-empty of the flag, BERTH_HOST and DOCKER_HOST, else the default socket. Pure: the
// caller passes the environment's values.
std::string choose_daemon_host(std::string_view flag, const char* berth_host,
                               const char* docker_host);

}  // namespace berth::client
