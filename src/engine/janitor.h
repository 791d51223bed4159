// One low-priority thread (nice 19) for cleanup nobody waits for: unmounting and deleting what
// a removal moved aside. On a busy machine it yields the CPU to the work clients wait for (the
// `run --rm` whose container was just removed, the next start).
//
// Thread-safe. Tasks run one after another in posting order; the destructor runs those still
// queued before it returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace berth::engine {

class Janitor {
  public:
    Janitor();
    ~Janitor();
    Janitor(const Janitor&) = delete;
    Janitor& operator=(const Janitor&) = delete;

    void post(std::function<void()> task);
    // Returns once every task posted before the call has run.
    void drain();

  private:
    void run();

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::function<void()>> tasks_;
    bool running_task_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace berth::engine
