#include "client/daemon_host.h"

namespace berth::client {

Result<DaemonHost> parse_daemon_host(std::string_view text, bool tls) {
    DaemonHost host;
    std::string_view rest;
    if (text.starts_with("unix://")) {
        rest = text.substr(7);
        host.kind = DaemonHost::Kind::Unix;
        host.path = rest.empty() ? std::string(kDefaultHost.substr(7)) : std::string(rest);
        host.text = "unix://" + host.path;
        return host;
    }
    if (text.starts_with("tcp://"))
        rest = text.substr(6);
    else if (text.find("://") == std::string_view::npos && !text.empty() && text[0] != '/')
        rest = text;  // docker accepts a bare host:port as tcp
    else if (!text.empty() && text[0] == '/')
        return parse_daemon_host("unix://" + std::string(text), tls);
    else
        return fail(ErrorKind::InvalidArgument,
                    "Invalid bind address format: " + std::string(text));
    if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
    host.kind = DaemonHost::Kind::Tcp;
    std::string_view name = rest, port;
    if (rest.starts_with("[")) {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return fail(ErrorKind::InvalidArgument,
                        "Invalid bind address format: " + std::string(text));
        name = rest.substr(1, close - 1);
        if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        name = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    for (char c : port)
        if (c < '0' || c > '9')
            return fail(ErrorKind::InvalidArgument,
                        "Invalid bind address format: " + std::string(text));
    host.host = name.empty() ? "localhost" : std::string(name);
    host.port = port.empty() ? (tls ? "2376" : "2375") : std::string(port);
    bool v6 = host.host.find(':') != std::string::npos;
    host.text = "tcp://" + (v6 ? "[" + host.host + "]" : host.host) + ":" + host.port;
    return host;
}

std::string choose_daemon_host(std::string_view flag, const char* berth_host,
                               const char* docker_host) {
    if (!flag.empty()) return std::string(flag);
    if (berth_host && *berth_host) return berth_host;
    if (docker_host && *docker_host) return docker_host;
    return std::string(kDefaultHost);
}

}  // namespace berth::client
