// One thread that runs tasks at their time: restart back-offs, health-check intervals and
// timeouts. Tasks must be short (they run one after another); anything that waits hands over to
// the monitor watcher instead.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace berth::engine {

class Scheduler {
  public:
    using Clock = std::chrono::steady_clock;
    Scheduler();
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Returns a token for cancel().
    uint64_t schedule(Clock::duration delay, std::function<void()> task);
    // True when the task had not run yet (and now never will).
    bool cancel(uint64_t token);
    void stop();

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<Clock::time_point, std::pair<uint64_t, std::function<void()>>> tasks_;
    uint64_t next_token_ = 1;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace berth::engine
