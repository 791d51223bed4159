#include "engine/janitor.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <vector>

namespace berth::engine {

TEST(Janitor, RunsTasksInOrderAtLowPriority) {
    std::vector<int> ran;
    std::atomic<int> nice_seen{-100};
    {
        Janitor janitor;
        janitor.post([&] {
            errno = 0;
            nice_seen = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
            ran.push_back(1);
        });
        janitor.post([&] { ran.push_back(2); });
        janitor.drain();
        EXPECT_EQ(ran, (std::vector<int>{1, 2}));
        EXPECT_EQ(nice_seen.load(), 19);
        janitor.post([&] { ran.push_back(3); });
    }  // the destructor runs what is still queued
    EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

}  // namespace berth::engine
