#include "engine/monitor_launcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

namespace berth::engine {
namespace {

// What the watcher's callbacks saw, for the test thread to wait on.
struct Seen {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<int> exit_codes;
    int lost = 0;
    int gone = 0;

    bool wait_gone() {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(10), [&] { return gone > 0; });
    }
};

MonitorWatcher make_watcher(Seen& seen) {
    return MonitorWatcher(
        [&](const std::string&, monitor::ExitRecord record) {
            std::lock_guard lock(seen.mutex);
            seen.exit_codes.push_back(record.exit_code);
            seen.changed.notify_all();
        },
        [&](const std::string&, const std::string&) {
            std::lock_guard lock(seen.mutex);
            ++seen.lost;
            seen.changed.notify_all();
        },
        [&](const std::string&) {
            std::lock_guard lock(seen.mutex);
            ++seen.gone;
            seen.changed.notify_all();
        });
}

std::string exit_line(int code) {
    monitor::ExitRecord record;
    record.exit_code = code;
    return monitor::to_json(record).dump() + "\n";
}

struct Pipe {
    UniqueFd read, write;
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        read.reset(fds[0]);
        write.reset(fds[1]);
    }
};

TEST(MonitorWatcher, ReportsAnExitReadWithTheFirstStatusLine) {
    // A probe such as `true` ends before berthd has read the monitor's "pid" line: both lines
    // come in one read, and the pipe holds nothing more but its end.
    Seen seen;
    auto watcher = make_watcher(seen);
    ASSERT_TRUE(watcher.start());
    Pipe pipe;
    ASSERT_TRUE(watcher.watch("exec:1", std::move(pipe.read), exit_line(0), "/nonexistent"));
    {
        std::unique_lock lock(seen.mutex);
        ASSERT_TRUE(seen.changed.wait_for(lock, std::chrono::seconds(10),
                                          [&] { return !seen.exit_codes.empty(); }));
    }
    pipe.write.reset();
    ASSERT_TRUE(seen.wait_gone());
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(seen.exit_codes, std::vector<int>{0});
    EXPECT_EQ(seen.lost, 0);
}

TEST(MonitorWatcher, ReportsABufferedExitBeforeTheEnd) {
    Seen seen;
    auto watcher = make_watcher(seen);
    ASSERT_TRUE(watcher.start());
    Pipe pipe;
    pipe.write.reset();
    ASSERT_TRUE(watcher.watch("exec:2", std::move(pipe.read), exit_line(3), "/nonexistent"));
    ASSERT_TRUE(seen.wait_gone());
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(seen.exit_codes, std::vector<int>{3});
    EXPECT_EQ(seen.lost, 0);
}

TEST(MonitorWatcher, AnExitArrivingLaterIsReportedOnce) {
    Seen seen;
    auto watcher = make_watcher(seen);
    ASSERT_TRUE(watcher.start());
    Pipe pipe;
    ASSERT_TRUE(watcher.watch("c", std::move(pipe.read), "", "/nonexistent"));
    std::string line = exit_line(7);
    ASSERT_EQ(::write(pipe.write.get(), line.data(), line.size()),
              static_cast<ssize_t>(line.size()));
    pipe.write.reset();
    ASSERT_TRUE(seen.wait_gone());
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(seen.exit_codes, std::vector<int>{7});
    EXPECT_EQ(seen.lost, 0);
}

TEST(MonitorWatcher, EventsBeforeTheExitAreReported) {
    Seen seen;
    std::vector<std::string> events;
    MonitorWatcher watcher(
        [&](const std::string&, monitor::ExitRecord record) {
            std::lock_guard lock(seen.mutex);
            seen.exit_codes.push_back(record.exit_code);
        },
        [&](const std::string&, const std::string&) {},
        [&](const std::string&) {
            std::lock_guard lock(seen.mutex);
            ++seen.gone;
            seen.changed.notify_all();
        },
        [&](const std::string& id, const std::string& action) {
            std::lock_guard lock(seen.mutex);
            events.push_back(id + " " + action);
        });
    ASSERT_TRUE(watcher.start());
    Pipe pipe;
    ASSERT_TRUE(watcher.watch("c", std::move(pipe.read), "", "/nonexistent"));
    std::string lines = "{\"event\":\"detach\"}\n{\"event\":\"detach\"}\n" + exit_line(0);
    ASSERT_EQ(::write(pipe.write.get(), lines.data(), lines.size()),
              static_cast<ssize_t>(lines.size()));
    pipe.write.reset();
    ASSERT_TRUE(seen.wait_gone());
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(events, (std::vector<std::string>{"c detach", "c detach"}));
    EXPECT_EQ(seen.exit_codes, std::vector<int>{0});
}

TEST(MonitorWatcher, AMonitorEndingWithoutAnExitIsLost) {
    Seen seen;
    auto watcher = make_watcher(seen);
    ASSERT_TRUE(watcher.start());
    Pipe pipe;
    ASSERT_TRUE(watcher.watch("c", std::move(pipe.read), "", "/nonexistent"));
    pipe.write.reset();
    ASSERT_TRUE(seen.wait_gone());
    std::lock_guard lock(seen.mutex);
    EXPECT_TRUE(seen.exit_codes.empty());
    EXPECT_EQ(seen.lost, 1);
}

}  // namespace
}  // namespace berth::engine
