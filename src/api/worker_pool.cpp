#include "api/worker_pool.h"

#include <system_error>

namespace berth::api {

WorkerPool::~WorkerPool() {
    std::list<Worker> all;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        all.splice(all.end(), workers_);
    }
    wake_.notify_all();
    for (auto& worker : all)
        worker.thread.join();
}

bool WorkerPool::run(Job& job) {
    std::list<Worker> finished;
    bool started = true;
    {
        std::lock_guard lock(mutex_);
        for (auto it = workers_.begin(); it != workers_.end();) {
            auto next = std::next(it);
            if (it->done) finished.splice(finished.end(), workers_, it);
            it = next;
        }
        jobs_.push_back(std::move(job));
        // Every queued job needs an idle worker of its own; a woken one stops counting as idle
        // only once it runs.
        if (jobs_.size() <= idle_) {
            wake_.notify_one();
        } else {
            try {
                auto& worker = workers_.emplace_back();
                worker.thread = std::thread([this, &worker] { work(worker); });
            } catch (const std::system_error&) {
                workers_.pop_back();
                job = std::move(jobs_.back());
                jobs_.pop_back();
                started = false;
            }
        }
    }
    reap(finished);
    return started;
}

size_t WorkerPool::threads() {
    std::lock_guard lock(mutex_);
    size_t alive = 0;
    for (const auto& worker : workers_)
        alive += worker.done ? 0 : 1;
    return alive;
}

void WorkerPool::work(Worker& self) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (jobs_.empty() && !stopping_ && idle_ < options_.max_idle) {
            ++idle_;
            wake_.wait_for(lock, options_.linger, [&] { return !jobs_.empty() || stopping_; });
            --idle_;
        }
        if (jobs_.empty()) break;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        job = nullptr;  // what the job holds goes before the lock is taken again
        lock.lock();
    }
    self.done = true;  // joined by the next run() or the destructor
}

void WorkerPool::reap(std::list<Worker>& finished) {
    for (auto& worker : finished)
        worker.thread.join();
}

}  // namespace berth::api
