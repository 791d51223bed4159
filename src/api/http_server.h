// HttpServer: the API server on a unix socket. One acceptor thread, and one thread per connection
// doing blocking reads and writes: connections are few (CLIs, SDKs), and an idle daemon must stay
// small, so there is no thread pool.
//
// Lifecycle: listen_unix() binds (replacing a stale socket file, refusing one a live server
// holds), start() spawns the acceptor, stop() (or the destructor) stops accepting, shuts down
// open connections, joins every thread and removes the socket file. The router must outlive it.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/router.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

struct ServerOptions {
    unsigned mode = 0660;
    std::string group = "berth";  // the socket's group when such a group exists
    std::function<void(const std::string&)> log_request;  // --debug: one line per request
};

class HttpServer {
  public:
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

    HttpServer(std::string path, UniqueFd listener, UniqueFd wake_read, UniqueFd wake_write,
               const Router& router, ServerOptions options);
    void accept_loop();
    void reap_finished();

    std::string path_;
    UniqueFd listener_;
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
