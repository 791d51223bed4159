#include "api/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <optional>

#include "api/http_connection.h"
#include "base/fs.h"

namespace berth::api {
namespace {

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
        gid_t gid = 0;
        auto [ptr, ec] = std::from_chars(gid_text.data(), gid_text.data() + gid_text.size(), gid);
        if (ec != std::errc() || ptr != gid_text.data() + gid_text.size()) return std::nullopt;
        return gid;
    }
    return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::listen_unix(const std::string& path,
                                                            const Router& router,
                                                            ServerOptions options) {
    sockaddr_un address = TRY(unix_address(path));
    TRY(remove_stale_socket(path, address));
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener) return fail_errno("socket");
    // Created with no access at all, then opened up: no moment where others can connect.
    mode_t old_mask = ::umask(0777);
    int bound = ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    int bind_errno = errno;
    ::umask(old_mask);
    if (bound != 0) return fail_errno("bind " + path, bind_errno);
    gid_t gid = options.group.empty() ? 0 : group_id(options.group).value_or(0);
    if (::chown(path.c_str(), ::geteuid(), gid) != 0 && ::geteuid() == 0) {
        ::unlink(path.c_str());
        return fail_errno("chown " + path);
    }
    if (::chmod(path.c_str(), options.mode) != 0) {
        ::unlink(path.c_str());
        return fail_errno("chmod " + path);
    }
    if (::listen(listener.get(), 128) != 0) {
        ::unlink(path.c_str());
        return fail_errno("listen " + path);
    }
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        ::unlink(path.c_str());
        return fail_errno("pipe");
    }
    return std::unique_ptr<HttpServer>(new HttpServer(path, std::move(listener), UniqueFd(wake[0]),
                                                      UniqueFd(wake[1]), router,
                                                      std::move(options)));
}

HttpServer::HttpServer(std::string path, UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write,
                       const Router& router, ServerOptions options)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      router_(router),
      options_(std::move(options)) {}

HttpServer::~HttpServer() {
    stop();
}

Result<void> HttpServer::start() {
    if (acceptor_.joinable() || stopped_)
        return fail(ErrorKind::Conflict, "server already started");
    acceptor_ = std::thread([this] { accept_loop(); });
    return {};
}

void HttpServer::accept_loop() {
    for (;;) {
        pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds[1].revents) return;
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;  // the client went away already, or EMFILE: try the next one
        reap_finished();
        std::lock_guard lock(mutex_);
        if (stopping_) {
            ::close(fd);
            return;
        }
        auto& connection = connections_.emplace_back(Connection{fd, {}, false});
        ConnectionHooks hooks;
        hooks.log_request = options_.log_request;
        hooks.releasing = [this, &connection] {
            std::lock_guard lock(mutex_);
            connection.fd = -1;
        };
        connection.thread = std::thread([this, fd, hooks, &connection] {
            serve_connection(fd, router_, hooks);
            std::lock_guard lock(mutex_);
            connection.done = true;
        });
    }
}

void HttpServer::reap_finished() {
    std::list<Connection> finished;
    {
        std::lock_guard lock(mutex_);
        for (auto it = connections_.begin(); it != connections_.end();) {
            auto next = std::next(it);
            if (it->done) finished.splice(finished.end(), connections_, it);
            it = next;
        }
    }
    for (auto& connection : finished)
        connection.thread.join();
}

void HttpServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    char byte = 0;
    (void)!::write(wake_write_.get(), &byte, 1);
    if (acceptor_.joinable()) acceptor_.join();
    listener_.reset();
    ::unlink(path_.c_str());
    {
        // Blocked reads return at once; a handler mid-request sees its connection fail.
        std::lock_guard lock(mutex_);
        for (auto& connection : connections_)
            if (connection.fd >= 0) ::shutdown(connection.fd, SHUT_RDWR);
    }
    for (auto& connection : connections_)
        connection.thread.join();
    connections_.clear();
}

}  // namespace berth::api
