#include "api/listeners.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "api/daemon_config.h"
#include "base/fs.h"
#include "base/parse_int.h"

namespace berth::api {
namespace {

constexpr int kFirstActivatedFd = 3;  // SD_LISTEN_FDS_START

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(address.sun_path))
        return fail(ErrorKind::InvalidArgument,
                    "socket path \"" + path + "\" is empty or too long");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

// A socket file left by a daemon that died is removed; one a live server answers on is not.
Result<void> remove_stale_socket(const std::string& path, const sockaddr_un& address) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return {};
        return fail_errno("stat " + path);
    }
    if (!S_ISSOCK(st.st_mode))
        return fail(ErrorKind::AlreadyExists, path + " exists and is not a socket");
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) return fail_errno("socket");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
        return fail(ErrorKind::AlreadyExists,
                    "another daemon is listening on " + path + " (is berthd running?)");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail_errno("remove stale socket " + path);
    return {};
}

// The group's ID from /etc/group. Read directly rather than through getgrnam: NSS would load
// its modules (libnss_systemd and friends) into the daemon for good, for one lookup.
std::optional<gid_t> group_id(const std::string& name) {
    auto text = read_file("/etc/group");
    if (!text) return std::nullopt;
    std::string_view rest = *text;
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        // name:password:gid:members
        if (!line.starts_with(name + ":")) continue;
        size_t gid_start = line.find(':', name.size() + 1);
        if (gid_start == std::string_view::npos) return std::nullopt;
        std::string_view gid_text =
            line.substr(gid_start + 1, line.find(':', gid_start + 1) - gid_start - 1);
        return parse_int<gid_t>(gid_text);
    }
    return std::nullopt;
}

std::string tcp_url(const std::string& host, uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    std::string url = "tcp://";
    url += v6 ? "[" : "";
    url += host;
    url += v6 ? "]:" : ":";
    url += std::to_string(port);
    return url;
}

Result<int> socket_option(int fd, int option, const std::string& what) {
    int value = 0;
    socklen_t size = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, option, &value, &size) != 0) return fail_errno(what);
    return value;
}

// The TCP policy of this file's header, for a host or a passed TCP socket.
Result<void> check_tcp_security(const std::string& address, const DaemonConfig& config,
                                const WarnFunction& warn) {
    if (config.tls) {
        if (!config.tls_verify)
            warn("API listening on " + address +
                 " with TLS but without --tlsverify: anyone who can connect is root on this "
                 "machine; use --tlsverify with --tlscacert to require client certificates");
        return {};
    }
    if (!config.insecure_tcp)
        return fail(ErrorKind::InvalidArgument,
                    "refusing to serve the API on " + address +
                        " without TLS: anyone who could connect would be root on this machine. "
                        "Use --tlsverify with --tlscacert, --tlscert and --tlskey, or "
                        "--insecure-tcp to accept the risk");
    for (const char* line :
         {"!!! INSECURE: the API is served on %s without TLS (--insecure-tcp) !!!",
          "!!! anyone who can reach this address is root on this machine, and so is any web page "
          "a browser here opens (even on localhost) !!!",
          "!!! use --tlsverify with --tlscacert, --tlscert and --tlskey instead !!!"}) {
        std::string text = line;
        if (auto at = text.find("%s"); at != std::string::npos) text.replace(at, 2, address);
        warn(text);
    }
    return {};
}

}  // namespace

Result<HostAddress> parse_host(std::string_view text, bool tls) {
    HostAddress address;
    auto bad = [&](const std::string& why) {
        return fail(ErrorKind::InvalidArgument, "invalid host " + std::string(text) + ": " + why);
    };
    if (text.starts_with("unix://")) {
        address.kind = HostAddress::Kind::Unix;
        address.path = std::string(text.substr(7));
        if (address.path.empty() || address.path.front() != '/')
            return bad("a unix socket needs an absolute path (unix:///run/berth/berth.sock)");
        return address;
    }
    if (text.starts_with("fd://")) {
        address.kind = HostAddress::Kind::Fd;
        std::string_view rest = text.substr(5);
        if (rest.empty() || rest == "*") return address;
        auto fd = parse_int<int>(rest);
        if (!fd || *fd < kFirstActivatedFd) return bad("fd:// takes a socket number from 3 on");
        address.fd = *fd;
        return address;
    }
    if (text.starts_with("tcp://")) {
        address.kind = HostAddress::Kind::Tcp;
        std::string_view rest = text.substr(6);
        if (auto slash = rest.find('/'); slash != std::string_view::npos) {
            if (rest.substr(slash) != "/") return bad("a tcp host takes no path");
            rest = rest.substr(0, slash);
        }
        std::string_view port_text;
        if (rest.starts_with("[")) {
            size_t close = rest.find(']');
            if (close == std::string_view::npos) return bad("missing ] after an IPv6 address");
            address.host = std::string(rest.substr(1, close - 1));
            std::string_view after = rest.substr(close + 1);
            if (!after.empty()) {
                if (!after.starts_with(":")) return bad("expected :PORT after ]");
                port_text = after.substr(1);
            }
        } else {
            size_t colon = rest.rfind(':');
            if (colon != std::string_view::npos && rest.find(':') != colon)
                return bad("put an IPv6 address in brackets: tcp://[::1]:2376");
            address.host = std::string(rest.substr(0, colon));
            if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
        }
        if (port_text.empty()) {
            address.port = tls ? 2376 : 2375;
        } else {
            auto port = parse_int<uint16_t>(port_text);
            if (!port) return bad("invalid port " + std::string(port_text));
            address.port = *port;
        }
        return address;
    }
    return bad("use unix:///path, tcp://HOST:PORT or fd://");
}

Result<Listener> listen_unix(const std::string& path, unsigned mode, const std::string& group) {
    sockaddr_un address = TRY(unix_address(path));
    TRY(remove_stale_socket(path, address));
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return fail_errno("socket");
    // Created with no access at all, then opened up: no moment where others can connect.
    mode_t old_mask = ::umask(0777);
    int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    int bind_errno = errno;
    ::umask(old_mask);
    if (bound != 0) return fail_errno("bind " + path, bind_errno);
    Listener listener{std::move(fd), "unix://" + path, path, nullptr};
    auto undo = [&](std::string_view what) {
        int err = errno;
        ::unlink(path.c_str());
        return fail_errno(std::string(what) + " " + path, err);
    };
    gid_t gid = group.empty() ? 0 : group_id(group).value_or(0);
    if (::chown(path.c_str(), ::geteuid(), gid) != 0 && ::geteuid() == 0) return undo("chown");
    if (::chmod(path.c_str(), mode) != 0) return undo("chmod");
    if (::listen(listener.fd.get(), 128) != 0) return undo("listen");
    return listener;
}

Result<Listener> listen_tcp(const std::string& host, uint16_t port) {
    std::string url = tcp_url(host, port);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
    if (rc != 0)
        return fail(ErrorKind::InvalidArgument, "resolve " + url + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(found, ::freeaddrinfo);
    // "tcp://:2376" means every interface: prefer IPv6's, which takes IPv4 too where allowed.
    Error last(ErrorKind::Unavailable, "no address for " + url);
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd) {
            last = Error::from_errno("socket for " + url);
            continue;
        }
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
            last = Error::from_errno("bind " + url);
            continue;
        }
        if (::listen(fd.get(), 128) != 0) {
            last = Error::from_errno("listen " + url);
            continue;
        }
        std::string address = url;
        if (auto bound = bound_address(fd.get())) address = "tcp://" + *bound;
        return Listener{std::move(fd), address, "", nullptr};
    }
    return fail(std::move(last));
}

Result<std::string> bound_address(int fd) {
    sockaddr_storage storage{};
    socklen_t size = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) != 0)
        return fail_errno("getsockname");
    char text[INET6_ADDRSTRLEN] = {};
    if (storage.ss_family == AF_INET) {
        auto* in = reinterpret_cast<sockaddr_in*>(&storage);
        ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
        return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
    }
    if (storage.ss_family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
        std::string address = "[";
        address += text;
        address += "]:";
        address += std::to_string(ntohs(in6->sin6_port));
        return address;
    }
    return fail(ErrorKind::InvalidArgument, "not a TCP socket");
}

Result<std::vector<UniqueFd>> take_activated_sockets(int which) {
    const char* pid_text = std::getenv("LISTEN_PID");
    const char* count_text = std::getenv("LISTEN_FDS");
    auto pid = parse_int<pid_t>(pid_text ? pid_text : "");
    auto count = parse_int<int>(count_text ? count_text : "");
    // Ours only once: a child must not take them for its own.
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    if (!pid || !count || *pid != ::getpid() || *count <= 0)
        return fail(ErrorKind::InvalidArgument,
                    "no sockets found via socket activation (LISTEN_PID and LISTEN_FDS): make "
                    "sure berthd was started by systemd with berthd.socket");
    if (which >= 0 && which >= kFirstActivatedFd + *count)
        return fail(ErrorKind::InvalidArgument,
                    "fd://" + std::to_string(which) + ": only " + std::to_string(*count) +
                        " sockets were passed (fds 3 to " +
                        std::to_string(kFirstActivatedFd + *count - 1) + ")");
    std::vector<UniqueFd> taken;
    for (int fd = kFirstActivatedFd; fd < kFirstActivatedFd + *count; ++fd) {
        UniqueFd owned(fd);
        if (which >= 0 && fd != which) continue;  // closed: dockerd does the same
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
            return fail_errno("activated socket fd " + std::to_string(fd));
        int type = TRY(socket_option(fd, SO_TYPE, "activated fd " + std::to_string(fd)));
        int listening = TRY(socket_option(fd, SO_ACCEPTCONN, "activated fd " + std::to_string(fd)));
        if (type != SOCK_STREAM || !listening)
            return fail(ErrorKind::InvalidArgument,
                        "activated fd " + std::to_string(fd) +
                            " is not a listening stream socket (use ListenStream= in the socket "
                            "unit)");
        taken.push_back(std::move(owned));
    }
    return taken;
}

static Result<void> open_hosts(const DaemonConfig& config,
                               const std::shared_ptr<const TlsContext>& tls,
                               const WarnFunction& warn, std::vector<Listener>& listeners) {
    bool activated = false;
    for (const auto& host : config.hosts) {
        HostAddress address = TRY(parse_host(host, config.tls));
        switch (address.kind) {
            case HostAddress::Kind::Unix:
                TRY(mkdir_all(clean_path(address.path + "/.."), 0755));
                listeners.push_back(TRY(listen_unix(address.path, 0660, config.group)));
                break;
            case HostAddress::Kind::Tcp: {
                TRY(check_tcp_security(host, config, warn));
                Listener listener = TRY(listen_tcp(address.host, address.port));
                listener.tls = tls;
                listeners.push_back(std::move(listener));
                break;
            }
            case HostAddress::Kind::Fd: {
                if (activated)
                    return fail(ErrorKind::InvalidArgument,
                                "fd:// is given more than once: fd:// alone takes every socket");
                activated = true;
                for (auto& fd : TRY(take_activated_sockets(address.fd))) {
                    int family = TRY(socket_option(fd.get(), SO_DOMAIN, "activated socket"));
                    std::string name = "fd://" + std::to_string(fd.get());
                    Listener listener{std::move(fd), name, "", nullptr};
                    if (family == AF_INET || family == AF_INET6) {
                        if (auto bound = bound_address(listener.fd.get()))
                            listener.address = name + " (tcp://" + *bound + ")";
                        TRY(check_tcp_security(listener.address, config, warn));
                        listener.tls = tls;
                    }
                    listeners.push_back(std::move(listener));
                }
                break;
            }
        }
    }
    return {};
}

Result<std::vector<Listener>> open_listeners(const DaemonConfig& config, const WarnFunction& warn) {
    std::shared_ptr<const TlsContext> tls;
    if (config.tls)
        tls = TRY_CTX(TlsContext::create({.ca_file = config.tls_ca,
                                          .cert_file = config.tls_cert,
                                          .key_file = config.tls_key,
                                          .verify_clients = config.tls_verify}),
                      "invalid TLS configuration");
    std::vector<Listener> listeners;
    auto opened = open_hosts(config, tls, warn, listeners);
    if (!opened) {
        // Socket files already made must not stay behind a daemon that never started.
        for (auto& listener : listeners)
            if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
        return fail(std::move(opened).error());
    }
    return listeners;
}

}  // namespace berth::api
