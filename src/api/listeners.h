// The sockets berthd listens on, from its -H hosts: unix:///path, tcp://host:port (TLS or an
// explicit --insecure-tcp) and fd://[N] (systemd socket activation).
//
// Policy (dockerd's, made strict): a tcp:// host needs TLS, and without --tlsverify anyone who
// can reach the port with any certificate is root on this machine, so that gets a warning;
// plain HTTP on TCP is refused unless insecure_tcp is set, and then warned about loudly. Sockets
// passed by systemd get the same treatment by address family: TCP ones TLS, unix ones plain.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/tls.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

struct DaemonConfig;

// One parsed -H value.
struct HostAddress {
    enum class Kind { Unix, Tcp, Fd };
    Kind kind = Kind::Unix;
    std::string path;   // Unix: the absolute socket path
    std::string host;   // Tcp: the address to bind ("" = every interface), IPv6 without []
    uint16_t port = 0;  // Tcp
    int fd = -1;        // Fd: the one fd wanted, -1 for all passed sockets
};

// Parses a -H value. A tcp:// host without a port gets docker's default: 2376 with TLS, 2375
// without.
Result<HostAddress> parse_host(std::string_view text, bool tls);

// A listening socket and how its connections are served.
struct Listener {
    UniqueFd fd;
    std::string address;      // for logs: "unix:///run/berth/berth.sock", "tcp://0.0.0.0:2376"
    std::string socket_file;  // a unix socket file berthd created: removed when the server stops
    std::shared_ptr<const TlsContext> tls;  // set: connections speak TLS
};

// A unix socket at `path`, mode `mode`, owned by root and `group` when that group exists. A
// stale socket file (no one answers on it) is replaced; a live one is an error.
Result<Listener> listen_unix(const std::string& path, unsigned mode, const std::string& group);
// A TCP socket bound to host:port; port 0 picks a free port (see bound_address).
Result<Listener> listen_tcp(const std::string& host, uint16_t port);
// "127.0.0.1:2376", "[::1]:2376": the address a TCP listener is bound to.
Result<std::string> bound_address(int fd);

// The sockets systemd passed (LISTEN_PID must be ours; LISTEN_FDS of them from fd 3). The
// variables are removed so that children do not take the sockets for theirs, and the fds become
// close-on-exec. `which` is -1 for all of them, or one fd number (the others are closed).
Result<std::vector<UniqueFd>> take_activated_sockets(int which);

using WarnFunction = std::function<void(std::string_view)>;

// Every listener the configuration asks for, with the TLS context built from its files.
// Warnings (TLS without client verification, plain TCP) go to `warn`.
Result<std::vector<Listener>> open_listeners(const DaemonConfig& config, const WarnFunction& warn);

}  // namespace berth::api
