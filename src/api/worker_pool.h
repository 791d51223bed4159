// WorkerPool: threads for the API server's blocking work (serving a connection's requests).
// Threads are made when a job finds no idle one, and an idle thread lingers a while for the next
// job (a `docker run` makes several requests in a row) before it exits, so an idle daemon holds
// none. There is no cap on busy threads: each serves a request in progress (`events`, `logs -f`
// and `wait` can last for hours), and a client only gets one by sending a whole request header.
//
// A thread that cannot be made (the pid or memory limit) is an answer, not an abort: run() says
// false and the caller refuses that piece of work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace berth::api {

struct WorkerPoolOptions {
    size_t max_idle = 4;  // idle threads kept beyond this exit at once
    std::chrono::milliseconds linger{10'000};
};

class WorkerPool {
  public:
    using Job = std::move_only_function<void()>;

    explicit WorkerPool(WorkerPoolOptions options = {}) : options_(options) {}
    // Waits for every job to finish (the caller makes them end: the server shuts down sockets).
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Runs `job` on an idle thread or a new one. False when there is neither (no thread could be
    // made); `job` is then left as it was, not run.
    bool run(Job& job);
    // Threads alive, busy or idle: for tests and diagnostics.
    size_t threads();

  private:
    struct Worker {
        std::thread thread;
        bool done = false;
    };

    void work(Worker& self);
    void reap(std::list<Worker>& finished);

    WorkerPoolOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    std::list<Worker> workers_;
    size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace berth::api
