// HttpServer: the API server on one or more listening sockets (unix, TCP, TCP with TLS, or
// sockets systemd passed). One acceptor thread, and one thread per connection doing blocking
// reads and writes: connections are few (CLIs, SDKs), and an idle daemon must stay small, so
// there is no thread pool. A TLS handshake runs on the connection's thread, so a slow client
// delays nobody else.
//
// Lifecycle: create() takes bound listeners (listeners.h), start() spawns the acceptor, stop()
// (or the destructor) stops accepting, shuts down open connections (bridged TLS streams of
// hijacked connections included), joins every thread and removes the socket files it created.
// The router must outlive it.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/listeners.h"
#include "api/router.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

struct ServerOptions {
    unsigned mode = 0660;         // listen_unix only
    std::string group = "berth";  // listen_unix only: the socket's group when it exists
    std::function<void(const std::string&)> log_request;  // --debug: one line per request
    // A connection that failed before its first request (TLS handshake): for debugging.
    std::function<void(const std::string&)> log_error;
};

class HttpServer {
  public:
    static Result<std::unique_ptr<HttpServer>> create(std::vector<Listener> listeners,
                                                      const Router& router, ServerOptions options);
    // One unix socket (api::listen_unix with options.mode and options.group).
    static Result<std::unique_ptr<HttpServer>> listen_unix(const std::string& path,
                                                           const Router& router,
                                                           ServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    Result<void> start();
    void stop();

  private:
    struct Connection {
        int fd;  // -1 once the connection thread let go of it
        std::thread thread;
        bool done = false;
    };

    HttpServer(std::vector<Listener> listeners, UniqueFd wake_read, UniqueFd wake_write,
               const Router& router, ServerOptions options);
    void accept_loop();
    void accept_one(const Listener& listener);
    void reap_finished();
    void close_listeners();

    std::vector<Listener> listeners_;
    UniqueFd wake_read_, wake_write_;  // a byte here wakes the acceptor to stop
    const Router& router_;
    ServerOptions options_;
    std::thread acceptor_;
    std::mutex mutex_;  // guards connections_ and stopping_
    std::list<Connection> connections_;
    bool stopping_ = false;
    bool stopped_ = false;
};

}  // namespace berth::api
