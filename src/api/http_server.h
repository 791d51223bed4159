// HttpServer: the API server on one or more listening sockets (unix, TCP, TCP with TLS, or
// sockets systemd passed).
//
// One event-loop thread (epoll) accepts connections and holds every connection that is not in
// the middle of a request: it runs TLS handshakes and reads request headers without blocking,
// and closes connections that take too long (ServerOptions). A connection whose request header
// is complete goes to a worker thread (worker_pool.h), which serves it with blocking reads and
// writes and gives it back when it is idle again; hijacked connections (attach, exec) leave the
// server. So threads follow requests in progress, not connections: thousands of idle or slow
// clients cost sockets, not threads, and no client gets a thread before it has sent a request.
//
// Running out is not fatal: a connection no thread can be made for gets a 503 and is closed;
// when accept() finds no file descriptor left, the oldest idle keep-alive connection is closed
// to make room, or accepting pauses (100 ms, doubling to 1 s) instead of spinning.
//
// Lifecycle: create() takes bound listeners (listeners.h), start() spawns the event loop, stop()
// (or the destructor) stops accepting, closes idle connections, shuts down those being served
// (bridged TLS streams of hijacked connections included), joins every thread and removes the
// socket files it created. The router must outlive it.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/http_connection.h"
#include "api/listeners.h"
#include "api/router.h"
#include "api/worker_pool.h"
#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::api {

struct ServerOptions {
    unsigned mode = 0660;         // listen_unix only
    std::string group = "berth";  // listen_unix only: the socket's group when it exists
    std::function<void(const std::string&)> log_request;  // --debug: one line per request
    // A connection that failed before its first request (TLS handshake, timeout): debugging.
    std::function<void(const std::string&)> log_error;
    // What the server copes with but an operator should hear of: no thread or no file
    // descriptor for a connection.
    std::function<void(const std::string&)> log_warning;
    // A TLS client must finish its handshake within this.
    std::chrono::milliseconds handshake_timeout{10'000};
    // A request header must be complete this long after the connection (or its handshake) or
    // after its first byte: a client sending it byte by byte (slowloris) is dropped.
    std::chrono::milliseconds header_timeout{10'000};
    // A keep-alive connection with no request under way is closed after this.
    std::chrono::milliseconds idle_timeout{120'000};
    WorkerPoolOptions workers;
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
    // Worker threads alive (busy or lingering): for tests and diagnostics.
    size_t worker_threads() { return workers_ ? workers_->threads() : 0; }

  private:
    using Clock = std::chrono::steady_clock;
    enum class Phase { Handshake, Header, Idle };
    // A connection held by the event loop (only that thread touches these).
    struct Parked {
        std::unique_ptr<HttpConnection> connection;  // null once retired
        Phase phase = Phase::Header;
        Clock::time_point deadline;
        uint32_t armed = 0;  // the epoll events it is registered for; 0: not registered
        std::list<Parked>::iterator self;
    };

    HttpServer(std::vector<Listener> listeners, UniqueFd epoll, UniqueFd wake, const Router& router,
               ServerOptions options);
    void event_loop();
    bool take_returned();
    void accept_from(const Listener& listener);
    void park(std::unique_ptr<HttpConnection> connection, Phase phase, Clock::duration timeout);
    void step(Parked& parked);
    bool arm(Parked& parked, uint32_t events);
    void set_deadline(Parked& parked, Clock::time_point deadline);
    void dispatch(Parked& parked);
    void serve_on_worker(std::unique_ptr<HttpConnection> connection,
                         std::list<int>::iterator active);
    void retire(Parked& parked);
    void expire_deadlines();
    bool evict_oldest_idle();
    void pause_accepting(int err);
    void watch_listeners(bool on);
    int next_timeout_ms() const;
    void close_listeners();
    void warn(const std::string& message) const;

    std::vector<Listener> listeners_;
    UniqueFd epoll_;
    UniqueFd wake_;  // an eventfd: returned connections, or stop
    const Router& router_;
    ServerOptions options_;
    ConnectionHooks hooks_;  // for advance(): log_error
    std::thread loop_;
    std::unique_ptr<WorkerPool> workers_;

    // Event loop only.
    std::list<Parked> parked_;
    std::list<Parked> retired_;  // freed after each batch of events: a later event may name one
    std::set<std::pair<Clock::time_point, Parked*>> deadlines_;
    bool accepting_ = true;
    Clock::time_point resume_accepting_at_;
    Clock::duration accept_backoff_{};
    size_t refused_ = 0;  // requests refused since the last warning about it
    Clock::time_point last_refusal_warning_{};

    std::mutex mutex_;       // guards what follows
    std::list<int> active_;  // fds of connections being served; -1 once let go of
    std::vector<std::unique_ptr<HttpConnection>> returned_;  // idle again, for the event loop
    bool stopping_ = false;
    bool stopped_ = false;
};

}  // namespace berth::api
