#include "api/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace berth::api {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, RunsJobsConcurrentlyOnThreadsMadeOnDemand) {
    WorkerPool pool;
    std::mutex mutex;
    std::condition_variable changed;
    int running = 0;
    bool release = false;
    for (int i = 0; i < 10; ++i) {
        WorkerPool::Job job = [&] {
            std::unique_lock lock(mutex);
            ++running;
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
        };
        ASSERT_TRUE(pool.run(job));
    }
    std::unique_lock lock(mutex);
    // All ten at once: a job never waits for another to end.
    EXPECT_TRUE(changed.wait_for(lock, 10s, [&] { return running == 10; }));
    EXPECT_EQ(pool.threads(), 10u);
    release = true;
    changed.notify_all();
}

TEST(WorkerPool, IdleThreadsAreReusedThenLeave) {
    WorkerPool pool({.max_idle = 2, .linger = 200ms});
    std::mutex mutex;
    std::set<std::thread::id> seen;
    std::atomic<int> done = 0;
    for (int i = 0; i < 20; ++i) {
        WorkerPool::Job job = [&] {
            std::lock_guard lock(mutex);
            seen.insert(std::this_thread::get_id());
            ++done;
        };
        ASSERT_TRUE(pool.run(job));
        while (done.load() <= i)
            std::this_thread::yield();
    }
    EXPECT_LE(seen.size(), 3u);  // one after another: the same thread or two
    // Lingering threads go after `linger`.
    for (int i = 0; i < 500 && pool.threads() > 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(pool.threads(), 0u);
}

TEST(WorkerPool, DestructorWaitsForJobs) {
    std::atomic<bool> finished = false;
    {
        WorkerPool pool;
        WorkerPool::Job job = [&] {
            std::this_thread::sleep_for(50ms);
            finished = true;
        };
        ASSERT_TRUE(pool.run(job));
    }
    EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace berth::api
