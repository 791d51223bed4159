#include "api/http_server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace berth::api {
namespace {

// How many connections one readiness of a listener accepts before others get a turn.
constexpr int kAcceptBatch = 64;
constexpr auto kMinAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxAcceptBackoff = std::chrono::seconds(1);

uint32_t events_for(HttpConnection::Next next) {
    return next == HttpConnection::Next::WaitWritable ? EPOLLOUT : EPOLLIN;
}

bool out_of_resources(int err) {
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::create(std::vector<Listener> listeners,
                                                       const Router& router,
                                                       ServerOptions options) {
    if (listeners.empty()) return fail(ErrorKind::InvalidArgument, "no sockets to listen on");
    auto unlink_all = [&] {
        for (auto& listener : listeners)
            if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
    };
    UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
    UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epoll || !wake) {
        unlink_all();
        return fail_errno("create the server's event loop");
    }
    // The event loop must never block in accept(): a client may go away between the readiness
    // and the call.
    for (auto& listener : listeners) {
        int flags = ::fcntl(listener.fd.get(), F_GETFL);
        if (flags >= 0) (void)::fcntl(listener.fd.get(), F_SETFL, flags | O_NONBLOCK);
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(listeners), std::move(epoll),
                                                      std::move(wake), router, std::move(options)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::listen_unix(const std::string& path,
                                                            const Router& router,
                                                            ServerOptions options) {
    std::vector<Listener> listeners;
    listeners.push_back(TRY(api::listen_unix(path, options.mode, options.group)));
    return create(std::move(listeners), router, std::move(options));
}

HttpServer::HttpServer(std::vector<Listener> listeners, UniqueFd epoll, UniqueFd wake,
                       const Router& router, ServerOptions options)
    : listeners_(std::move(listeners)),
      epoll_(std::move(epoll)),
      wake_(std::move(wake)),
      router_(router),
      options_(std::move(options)) {
    hooks_.log_request = options_.log_request;
    hooks_.log_error = options_.log_error;
}

HttpServer::~HttpServer() {
    stop();
    close_listeners();  // a server never started still removes its socket files
}

Result<void> HttpServer::start() {
    if (loop_.joinable() || stopped_) return fail(ErrorKind::Conflict, "server already started");
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.ptr = &wake_;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake) != 0)
        return fail_errno("watch the server's wake-up fd");
    watch_listeners(true);
    workers_ = std::make_unique<WorkerPool>(options_.workers);
    loop_ = std::thread([this] { event_loop(); });
    return {};
}

void HttpServer::event_loop() {
    epoll_event events[64];
    for (;;) {
        int n = ::epoll_wait(epoll_.get(), events, 64, next_timeout_ms());
        if (n < 0 && errno != EINTR) {
            warn(std::string("the API server's event loop failed: ") + std::strerror(errno));
            break;
        }
        bool stop = false;
        for (int i = 0; i < n; ++i) {
            void* source = events[i].data.ptr;
            if (source == &wake_) {
                stop = !take_returned();
                continue;
            }
            bool listener = false;
            for (const auto& l : listeners_) {
                if (source != &l) continue;
                listener = true;
                if (accepting_) accept_from(l);
            }
            if (listener) continue;
            auto* parked = static_cast<Parked*>(source);
            if (parked->connection) step(*parked);
        }
        retired_.clear();
        if (stop) break;
        expire_deadlines();
        if (!accepting_ && Clock::now() >= resume_accepting_at_) {
            watch_listeners(true);
            for (const auto& l : listeners_)
                accept_from(l);
        }
        retired_.clear();
    }
    for (auto& parked : parked_)
        parked.connection.reset();
    parked_.clear();
    deadlines_.clear();
}

// Connections the workers gave back. False when the server stops.
bool HttpServer::take_returned() {
    uint64_t count;
    (void)!::read(wake_.get(), &count, sizeof count);
    std::vector<std::unique_ptr<HttpConnection>> returned;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        returned.swap(returned_);
    }
    for (auto& connection : returned) {
        bool idle = connection->idle();
        park(std::move(connection), idle ? Phase::Idle : Phase::Header,
             idle ? options_.idle_timeout : options_.header_timeout);
    }
    return true;
}

void HttpServer::accept_from(const Listener& listener) {
    for (int i = 0; i < kAcceptBatch; ++i) {
        int fd = ::accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EINTR || err == ECONNABORTED) continue;
            if (out_of_resources(err)) {
                if (evict_oldest_idle()) continue;
                pause_accepting(err);
            }
            return;  // EAGAIN: none left
        }
        accept_backoff_ = {};
        auto connection = HttpConnection::accept(UniqueFd(fd), listener.tls.get());
        if (!connection) {
            warn("cannot take a connection: " + connection.error().message());
            continue;
        }
        bool tls = (*connection)->handshaking();
        park(std::move(*connection), tls ? Phase::Handshake : Phase::Header,
             tls ? options_.handshake_timeout : options_.header_timeout);
    }
}

void HttpServer::park(std::unique_ptr<HttpConnection> connection, Phase phase,
                      Clock::duration timeout) {
    auto& parked = parked_.emplace_back();
    parked.self = std::prev(parked_.end());
    parked.connection = std::move(connection);
    parked.phase = phase;
    set_deadline(parked, Clock::now() + timeout);
    // The request may be here already (or a TLS session holds one): no wait for epoll then.
    step(parked);
}

void HttpServer::step(Parked& parked) {
    auto next = parked.connection->advance(hooks_);
    if (next == HttpConnection::Next::Close) return retire(parked);
    if (next == HttpConnection::Next::Serve) return dispatch(parked);
    // A handshake just done, or the first byte of a request after a rest: the header's clock.
    bool header_started = (parked.phase == Phase::Handshake && !parked.connection->handshaking()) ||
                          (parked.phase == Phase::Idle && !parked.connection->idle());
    if (header_started) {
        parked.phase = Phase::Header;
        set_deadline(parked, Clock::now() + options_.header_timeout);
    }
    if (!arm(parked, events_for(next))) {
        warn(std::string("closing a connection: cannot watch it: ") + std::strerror(errno));
        retire(parked);
    }
}

bool HttpServer::arm(Parked& parked, uint32_t events) {
    if (parked.armed == events) return true;
    epoll_event event{};
    event.events = events;
    event.data.ptr = &parked;
    int op = parked.armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(epoll_.get(), op, parked.connection->fd(), &event) != 0) return false;
    parked.armed = events;
    return true;
}

void HttpServer::set_deadline(Parked& parked, Clock::time_point deadline) {
    deadlines_.erase({parked.deadline, &parked});
    parked.deadline = deadline;
    deadlines_.insert({deadline, &parked});
}

void HttpServer::dispatch(Parked& parked) {
    if (parked.armed) ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, parked.connection->fd(), nullptr);
    parked.armed = 0;
    auto connection =
        std::make_shared<std::unique_ptr<HttpConnection>>(std::move(parked.connection));
    retire(parked);
    std::list<int>::iterator active;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        active = active_.insert(active_.end(), (*connection)->fd());
    }
    WorkerPool::Job job = [this, connection, active] {
        serve_on_worker(std::move(*connection), active);
    };
    if (workers_->run(job)) return;
    {
        std::lock_guard lock(mutex_);
        active_.erase(active);
    }
    // Once a second at most: a flood must not flood the log too.
    ++refused_;
    if (Clock::now() - last_refusal_warning_ >= std::chrono::seconds(1)) {
        last_refusal_warning_ = Clock::now();
        warn("refused " + std::to_string(std::exchange(refused_, 0)) +
             " request(s): no thread can be started for them (pid or memory limit)");
    }
    (*connection)->refuse("berthd cannot start a thread for this request now; try again");
}

void HttpServer::serve_on_worker(std::unique_ptr<HttpConnection> connection,
                                 std::list<int>::iterator active) {
    ConnectionHooks hooks = hooks_;
    hooks.releasing = [this, active] {
        std::lock_guard lock(mutex_);
        *active = -1;
    };
    auto outcome = connection->serve(router_, hooks);
    std::lock_guard lock(mutex_);
    active_.erase(active);
    if (outcome != HttpConnection::Outcome::Idle || stopping_) return;  // closes it, unlocked
    returned_.push_back(std::move(connection));
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
}

void HttpServer::retire(Parked& parked) {
    deadlines_.erase({parked.deadline, &parked});
    parked.connection.reset();  // closing the fd takes it out of epoll too
    retired_.splice(retired_.end(), parked_, parked.self);
}

void HttpServer::expire_deadlines() {
    auto now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        Parked& parked = *deadlines_.begin()->second;
        if (parked.phase != Phase::Idle && options_.log_error)
            options_.log_error(parked.phase == Phase::Handshake
                                   ? "closing a connection: no TLS handshake in time"
                                   : "closing a connection: no complete request header in time");
        retire(parked);
    }
}

// Out of file descriptors: an idle keep-alive connection is the cheapest to give up (its client
// reconnects), and makes room for one that has something to say.
bool HttpServer::evict_oldest_idle() {
    for (auto& [deadline, parked] : deadlines_) {
        if (parked->phase != Phase::Idle) continue;
        retire(*parked);
        return true;
    }
    return false;
}

void HttpServer::pause_accepting(int err) {
    bool first = accept_backoff_ == Clock::duration{};
    accept_backoff_ = first ? Clock::duration(kMinAcceptBackoff)
                            : std::min<Clock::duration>(accept_backoff_ * 2, kMaxAcceptBackoff);
    if (first)
        warn(std::string("cannot accept connections: ") + std::strerror(err) +
             "; pausing, connections wait in the backlog");
    accepting_ = false;
    resume_accepting_at_ = Clock::now() + accept_backoff_;
    watch_listeners(false);
}

void HttpServer::watch_listeners(bool on) {
    accepting_ = on;
    for (auto& listener : listeners_) {
        if (!listener.fd) continue;
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = &listener;
        (void)::epoll_ctl(epoll_.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listener.fd.get(),
                          &event);
    }
}

int HttpServer::next_timeout_ms() const {
    std::optional<Clock::time_point> next;
    if (!deadlines_.empty()) next = deadlines_.begin()->first;
    if (!accepting_ && (!next || resume_accepting_at_ < *next)) next = resume_accepting_at_;
    if (!next) return -1;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

void HttpServer::close_listeners() {
    for (auto& listener : listeners_) {
        listener.fd.reset();
        if (!listener.socket_file.empty()) ::unlink(listener.socket_file.c_str());
        listener.socket_file.clear();
    }
}

void HttpServer::warn(const std::string& message) const {
    if (options_.log_warning) options_.log_warning(message);
}

void HttpServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    if (loop_.joinable()) loop_.join();
    close_listeners();
    {
        // Blocked reads return at once; a handler mid-request sees its connection fail, and the
        // pump of a bridged TLS stream ends.
        std::lock_guard lock(mutex_);
        for (int fd : active_)
            if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
    workers_.reset();  // joins them
    std::lock_guard lock(mutex_);
    returned_.clear();
}

}  // namespace berth::api
