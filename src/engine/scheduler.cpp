#include "engine/scheduler.h"

namespace berth::engine {

Scheduler::Scheduler() : thread_([this] { run(); }) {}

Scheduler::~Scheduler() {
    stop();
}

uint64_t Scheduler::schedule(Clock::duration delay, std::function<void()> task) {
    std::lock_guard lock(mutex_);
    uint64_t token = next_token_++;
    tasks_.emplace(Clock::now() + delay, std::make_pair(token, std::move(task)));
    wake_.notify_all();
    return token;
}

bool Scheduler::cancel(uint64_t token) {
    std::lock_guard lock(mutex_);
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it)
        if (it->second.first == token) {
            tasks_.erase(it);
            return true;
        }
    return false;
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        tasks_.clear();
        wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
}

void Scheduler::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (tasks_.empty()) {
            wake_.wait(lock);
            continue;
        }
        auto first = tasks_.begin();
        if (first->first > Clock::now()) {
            wake_.wait_until(lock, first->first);
            continue;
        }
        auto task = std::move(first->second.second);
        tasks_.erase(first);
        lock.unlock();
        task();
        lock.lock();
    }
}

}  // namespace berth::engine
