#include "api/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/http_connection.h"

namespace berth::api {

Result<std::unique_ptr<HttpServer>> HttpServer::create(std::vector<Listener> listeners,
                                                       const Router& router,
                                                       ServerOptions options) {
    if (listeners.empty()) return fail(ErrorKind::InvalidArgument, "no sockets to listen on");
    int wake[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        for (auto& listener : listeners)
            if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
        return fail_errno("pipe");
    }
    return std::unique_ptr<HttpServer>(new HttpServer(
        std::move(listeners), UniqueFd(wake[0]), UniqueFd(wake[1]), router, std::move(options)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen_unix(const std::string& path,
                                                            const Router& router,
                                                            ServerOptions options) {
    std::vector<Listener> listeners;
    listeners.push_back(TRY(api::listen_unix(path, options.mode, options.group)));
    return create(std::move(listeners), router, std::move(options));
}

HttpServer::HttpServer(std::vector<Listener> listeners, UniqueFd wake_read, UniqueFd wake_write,
                       const Router& router, ServerOptions options)
    : listeners_(std::move(listeners)),
      wake_read_(std::move(wake_read)),
      wake_write_(std::move(wake_write)),
      router_(router),
      options_(std::move(options)) {}

HttpServer::~HttpServer() {
    stop();
    close_listeners();  // a server never started still removes its socket files
}

Result<void> HttpServer::start() {
    if (acceptor_.joinable() || stopped_)
        return fail(ErrorKind::Conflict, "server already started");
    acceptor_ = std::thread([this] { accept_loop(); });
    return {};
}

void HttpServer::accept_loop() {
    std::vector<pollfd> fds;
    for (auto& listener : listeners_)
        fds.push_back({listener.fd.get(), POLLIN, 0});
    fds.push_back({wake_read_.get(), POLLIN, 0});
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (fds.back().revents) return;
        for (size_t i = 0; i < listeners_.size(); ++i)
            if (fds[i].revents & POLLIN) accept_one(listeners_[i]);
    }
}

void HttpServer::accept_one(const Listener& listener) {
    int fd = ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;  // the client went away already, or EMFILE: try the next one
    reap_finished();
    std::lock_guard lock(mutex_);
    if (stopping_) {
        ::close(fd);
        return;
    }
    auto& connection = connections_.emplace_back(Connection{fd, {}, false});
    ConnectionHooks hooks;
    hooks.log_request = options_.log_request;
    hooks.log_error = options_.log_error;
    hooks.releasing = [this, &connection] {
        std::lock_guard lock(mutex_);
        connection.fd = -1;
    };
    connection.thread = std::thread([this, fd, tls = listener.tls.get(), hooks, &connection] {
        serve_connection(fd, tls, router_, hooks);
        std::lock_guard lock(mutex_);
        connection.done = true;
    });
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

void HttpServer::close_listeners() {
    for (auto& listener : listeners_) {
        listener.fd.reset();
        if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
        listener.socket_file.clear();
    }
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
    close_listeners();
    {
        // Blocked reads return at once; a handler mid-request sees its connection fail, and the
        // pump of a bridged TLS stream ends.
        std::lock_guard lock(mutex_);
        for (auto& connection : connections_)
            if (connection.fd >= 0) ::shutdown(connection.fd, SHUT_RDWR);
    }
    for (auto& connection : connections_)
        connection.thread.join();
    connections_.clear();
}

}  // namespace berth::api
