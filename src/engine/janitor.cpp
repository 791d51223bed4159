#include "engine/janitor.h"

#include <sys/resource.h>
#include <unistd.h>

namespace berth::engine {

Janitor::Janitor() : thread_([this] { run(); }) {}

Janitor::~Janitor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void Janitor::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    changed_.notify_all();
}

void Janitor::drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return tasks_.empty() && !running_task_; });
}

void Janitor::run() {
    // This thread only (a thread's nice value is its own on Linux).
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, nothing left
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        running_task_ = true;
        lock.unlock();
        task();
        lock.lock();
        running_task_ = false;
        changed_.notify_all();
    }
}

}  // namespace berth::engine
