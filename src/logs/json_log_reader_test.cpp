#include "logs/json_log_reader.h"

#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include "base/test_support.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/fs.h"
#include "logs/json_log_writer.h"

namespace berth::logs {
namespace {

using namespace std::chrono_literals;

constexpr time_t kBase = 1795851720;  // 2026-11-28T07:42:00Z

timespec at(time_t sec, long nsec = 0) {
    return timespec{kBase + sec, nsec};
}

// "o:text" / "e:text" per entry, newline stripped, for compact expectations.
std::string describe(const LogEntry& e) {
    std::string line = e.line;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return (e.stream == LogStream::Stdout ? "o:" : "e:") + line;
}

class JsonLogReaderTest : public ::testing::Test {
  protected:
    JsonLogWriter open(JsonLogOptions options = {}) {
        auto writer = JsonLogWriter::open(path_, options);
        EXPECT_TRUE(writer) << writer.error().message();
        return std::move(*writer);
    }

    std::vector<std::string> read(const LogReadOptions& options, int max_file = 1) {
        std::vector<std::string> got;
        auto result = read_logs(path_, max_file, options, [&](const LogEntry& e) {
            got.push_back(describe(e));
            return true;
        });
        EXPECT_TRUE(result) << result.error().message();
        return got;
    }

    // Ten stdout lines "0".."9" at seconds 0..9, in files of two entries each (max-file 3
    // keeps 4..9).
    void write_rotated() {
        auto writer = open({.max_size = 100, .max_file = 3});
        for (int i = 0; i < 10; ++i)
            ASSERT_TRUE(writer.write(LogStream::Stdout, std::to_string(i) + "\n", at(i)));
        ASSERT_TRUE(path_exists(path_ + ".2"));
    }

    TempDir dir_{"berth-jsonlog"};
    std::string path_ = dir_ / "c-json.log";
};

std::vector<std::string> strings(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}

TEST(JsonLogDecode, RoundTripsDockerEscapes) {
    std::string raw = "tab\t<b>&amp;\u2028\xff\"\\\r\x01 ✓";
    std::string line;
    line += "{\"log\":";
    append_json_string(line, raw);
    line += ",\"stream\":\"stderr\",\"time\":\"2026-11-28T07:42:00.000123Z\"}";
    auto entry = decode_log_line(line);
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->stream, LogStream::Stderr);
    EXPECT_EQ(entry->line, "tab\t<b>&amp;\u2028\uFFFD\"\\\r\x01 ✓");
    EXPECT_EQ(entry->time.tv_sec, kBase);
    EXPECT_EQ(entry->time.tv_nsec, 123000);
}

TEST(JsonLogDecode, AcceptsDockerVariants) {
    // Keys in any order, attrs, an offset time, no fraction.
    auto entry = decode_log_line(
        R"({"time":"2026-11-28T09:42:00.5+02:00","attrs":{"tag":"x"},"stream":"stdout","log":"a"})");
    ASSERT_TRUE(entry);
    EXPECT_EQ(entry->line, "a");
    EXPECT_EQ(entry->time.tv_sec, kBase);
    EXPECT_EQ(entry->time.tv_nsec, 500000000);
}

TEST(JsonLogDecode, RejectsBrokenLines) {
    EXPECT_FALSE(decode_log_line(R"({"log":"a\n","stream":"stdout","ti)"));
    EXPECT_FALSE(decode_log_line(""));
    EXPECT_FALSE(decode_log_line(R"({"log":"a","stream":"stdout","time":"yesterday"})"));
    EXPECT_FALSE(decode_log_line(R"({"log":"a","stream":"other","time":"2026-11-28T07:42:00Z"})"));
}

TEST_F(JsonLogReaderTest, MissingFileReadsAsEmpty) {
    EXPECT_TRUE(read({}, 3).empty());
}

TEST_F(JsonLogReaderTest, ReadsRotatedFilesOldestFirst) {
    write_rotated();
    EXPECT_EQ(read({}, 3), strings({"o:4", "o:5", "o:6", "o:7", "o:8", "o:9"}));
    // Told of fewer files than exist: only those.
    EXPECT_EQ(read({}, 2), strings({"o:6", "o:7", "o:8", "o:9"}));
}

TEST_F(JsonLogReaderTest, TailAcrossFiles) {
    write_rotated();
    EXPECT_EQ(read({.tail = 3}, 3), strings({"o:7", "o:8", "o:9"}));
    EXPECT_EQ(read({.tail = 1}, 3), strings({"o:9"}));
    EXPECT_EQ(read({.tail = 5}, 3), strings({"o:5", "o:6", "o:7", "o:8", "o:9"}));
    EXPECT_EQ(read({.tail = 100}, 3).size(), 6u);
    EXPECT_TRUE(read({.tail = 0}, 3).empty());
}

TEST_F(JsonLogReaderTest, SinceIsInclusiveAndUntilExclusive) {
    write_rotated();
    EXPECT_EQ(read({.since = at(6)}, 3), strings({"o:6", "o:7", "o:8", "o:9"}));
    EXPECT_EQ(read({.since = at(6, 1)}, 3), strings({"o:7", "o:8", "o:9"}));
    EXPECT_EQ(read({.until = at(5)}, 3), strings({"o:4", "o:5"}));
    EXPECT_EQ(read({.since = at(5), .until = at(7, 999)}, 3), strings({"o:5", "o:6", "o:7"}));
    // tail first, then the time window, as docker.
    EXPECT_EQ(read({.since = at(5), .tail = 2}, 3), strings({"o:8", "o:9"}));
}

TEST_F(JsonLogReaderTest, SinceStopsFilteringAfterTheFirstMatch) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "a\n", at(1)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "b\n", at(5)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "c\n", at(2)));  // clock stepped back
    EXPECT_EQ(read({.since = at(3)}), strings({"o:b", "o:c"}));
}

TEST_F(JsonLogReaderTest, StreamSelectionAfterTail) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "o1\n", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "e1\n", at(1)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "o2\n", at(2)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "e2\n", at(3)));
    EXPECT_EQ(read({}), strings({"o:o1", "e:e1", "o:o2", "e:e2"}));
    EXPECT_EQ(read({.show_stderr = false}), strings({"o:o1", "o:o2"}));
    EXPECT_EQ(read({.show_stdout = false}), strings({"e:e1", "e:e2"}));
    // tail counts entries of both streams, as docker's.
    EXPECT_EQ(read({.show_stderr = false, .tail = 2}), strings({"o:o2"}));
}

TEST_F(JsonLogReaderTest, PartialEntriesKeepTheirText) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "no newline", at(0)));
    ASSERT_TRUE(writer.flush_partial(at(1)));
    std::vector<LogEntry> got;
    ASSERT_TRUE(read_logs(path_, 1, {}, [&](const LogEntry& e) {
        got.push_back(e);
        return true;
    }));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].line, "no newline");
}

TEST_F(JsonLogReaderTest, CorruptLinesAreSkipped) {
    std::string good1 = R"({"log":"1\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})";
    std::string good2 = R"({"log":"2\n","stream":"stdout","time":"2026-11-28T07:42:02Z"})";
    ASSERT_TRUE(
        write_file(path_, good1 + "\nnot json at all\n" + good2 + "\n{\"log\":\"3\\n\",\"st"));
    EXPECT_EQ(read({}), strings({"o:1", "o:2"}));
    // The torn last line is not counted by tail either.
    EXPECT_EQ(read({.tail = 1}), strings({"o:2"}));
}

// A block of zeros (a crash on some file systems) or garbage without newlines is no entry: it is
// skipped up to its end, and the entries after it are read.
TEST_F(JsonLogReaderTest, AnOverlongDamagedLineIsSkipped) {
    std::string good1 = R"({"log":"1\n","stream":"stdout","time":"2026-11-28T07:42:01Z"})";
    std::string good2 = R"({"log":"2\n","stream":"stdout","time":"2026-11-28T07:42:02Z"})";
    ASSERT_TRUE(write_file(path_, good1 + "\n" + std::string(3 << 20, '\0') + "\n" + good2 + "\n" +
                                      std::string(2 << 20, '\0')));
    EXPECT_EQ(read({}), strings({"o:1", "o:2"}));
    EXPECT_EQ(read({.tail = 1}), strings({"o:2"}));
}

TEST_F(JsonLogReaderTest, ReadStopsWhereTheFileEndedWhenItBegan) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "a\nb\n", at(0)));
    std::vector<std::string> got;
    ASSERT_TRUE(read_logs(path_, 1, {}, [&](const LogEntry& e) {
        got.push_back(describe(e));
        EXPECT_TRUE(writer.write(LogStream::Stdout, "more\n", at(1)));  // a busy container
        return true;
    }));
    EXPECT_EQ(got, strings({"o:a", "o:b"}));
}

TEST_F(JsonLogReaderTest, SinkReturningFalseStops) {
    write_rotated();
    int calls = 0;
    ASSERT_TRUE(read_logs(path_, 3, {}, [&](const LogEntry&) { return ++calls < 2; }));
    EXPECT_EQ(calls, 2);
}

// Runs follow_logs in a thread and collects what it delivers.
class Follower {
  public:
    Follower(std::string path, int max_file, LogReadOptions options, FollowSignals signals,
             std::function<void(const LogEntry&)> on_entry = nullptr)
        : on_entry_(std::move(on_entry)), stopped_fd_(signals.stopped_fd) {
        thread_ = std::thread([=, this] {
            result_ = follow_logs(
                path, max_file, options,
                [this](const LogEntry& e) {
                    if (on_entry_) on_entry_(e);
                    std::lock_guard lock(mutex_);
                    got_.push_back(describe(e));
                    changed_.notify_all();
                    return !stop_accepting_;
                },
                signals);
            done_ = true;
            changed_.notify_all();
        });
    }
    // A test that failed half-way still ends: the follower is told to stop.
    ~Follower() {
        if (!thread_.joinable()) return;
        uint64_t one = 1;
        if (!done_ && stopped_fd_ >= 0) (void)!::write(stopped_fd_, &one, sizeof one);
        thread_.join();
    }

    // Waits until `n` entries arrived (or 5 s passed).
    bool wait_for(size_t n) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 5s, [&] { return got_.size() >= n; });
    }
    bool wait_done(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return done_.load(); });
    }
    std::vector<std::string> got() {
        std::lock_guard lock(mutex_);
        return got_;
    }
    void refuse_next() { stop_accepting_ = true; }
    Result<void> join() {
        thread_.join();
        return std::move(result_);
    }

  private:
    std::function<void(const LogEntry&)> on_entry_;
    int stopped_fd_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> got_;
    std::atomic<bool> done_ = false;
    std::atomic<bool> stop_accepting_ = false;
    Result<void> result_;
    std::thread thread_;
};

UniqueFd make_eventfd() {
    return UniqueFd(::eventfd(0, EFD_CLOEXEC));
}

void signal(const UniqueFd& fd) {
    uint64_t one = 1;
    ASSERT_EQ(::write(fd.get(), &one, sizeof one), 8);
}

TEST_F(JsonLogReaderTest, FollowDeliversAppendedLinesUntilStopped) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "old\n", at(0)));
    auto stopped = make_eventfd();
    Follower follower(path_, 1, {}, {.stopped_fd = stopped.get()});
    ASSERT_TRUE(follower.wait_for(1));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "new 1\n", at(1)));
    ASSERT_TRUE(writer.write(LogStream::Stderr, "new 2\n", at(2)));
    ASSERT_TRUE(follower.wait_for(3));
    // Written just before the stop: still delivered, then the follower returns.
    ASSERT_TRUE(writer.write(LogStream::Stdout, "last", at(3)));
    ASSERT_TRUE(writer.flush_partial(at(3)));
    signal(stopped);
    ASSERT_TRUE(follower.wait_done(2s));
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:old", "o:new 1", "e:new 2", "o:last"}));
}

TEST_F(JsonLogReaderTest, FollowSurvivesRotation) {
    auto writer = open({.max_size = 150, .max_file = 2});
    auto stopped = make_eventfd();
    Follower follower(path_, 2, {}, {.stopped_fd = stopped.get()});
    std::vector<std::string> expected;
    for (int i = 0; i < 40; ++i) {
        std::string text = "line " + std::to_string(i);
        ASSERT_TRUE(writer.write(LogStream::Stdout, text + "\n", at(i)));
        expected.push_back("o:" + text);
        // Kept in step: a follower more than max_file files behind has lost lines for good, as
        // docker's has (that case: FollowCatchesUpOnRotationsMissedWhileBusy).
        ASSERT_TRUE(follower.wait_for(expected.size())) << "after " << text;
    }
    ASSERT_TRUE(follower.wait_for(expected.size()));
    signal(stopped);
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), expected);
}

TEST_F(JsonLogReaderTest, FollowCatchesUpOnRotationsMissedWhileBusy) {
    auto writer = open({.max_size = 100, .max_file = 4});
    ASSERT_TRUE(writer.write(LogStream::Stdout, "0\n", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "1\n", at(1)));
    std::mutex gate;
    gate.lock();  // the follower's sink blocks on its first entry until the writer is done
    auto stopped = make_eventfd();
    std::atomic<bool> first = true;
    Follower follower(path_, 4, {}, {.stopped_fd = stopped.get()}, [&](const LogEntry&) {
        if (first.exchange(false)) std::lock_guard wait(gate);
    });
    std::this_thread::sleep_for(50ms);
    // Two entries per file: "2","3" go to a file rotated to .2 before the follower looks again.
    for (int i = 2; i < 7; ++i)
        ASSERT_TRUE(writer.write(LogStream::Stdout, std::to_string(i) + "\n", at(i)));
    ASSERT_TRUE(path_exists(path_ + ".2"));
    gate.unlock();
    ASSERT_TRUE(follower.wait_for(7));
    signal(stopped);
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:0", "o:1", "o:2", "o:3", "o:4", "o:5", "o:6"}));
}

TEST_F(JsonLogReaderTest, FollowWithOneFileSurvivesStartingOver) {
    auto writer = open({.max_size = 10, .max_file = 1});
    auto stopped = make_eventfd();
    Follower follower(path_, 1, {}, {.stopped_fd = stopped.get()});
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(writer.write(LogStream::Stdout, std::to_string(i) + "\n", at(i)));
        ASSERT_TRUE(follower.wait_for(static_cast<size_t>(i) + 1));
    }
    signal(stopped);
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:0", "o:1", "o:2", "o:3", "o:4"}));
}

TEST_F(JsonLogReaderTest, FollowWaitsForTheFileToAppear) {
    auto stopped = make_eventfd();
    Follower follower(path_, 1, {}, {.stopped_fd = stopped.get()});
    std::this_thread::sleep_for(30ms);
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "hello\n", at(0)));
    ASSERT_TRUE(follower.wait_for(1));
    signal(stopped);
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:hello"}));
}

TEST_F(JsonLogReaderTest, FollowTailZeroSkipsTheExistingLines) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "old\n", at(0)));
    auto stopped = make_eventfd();
    Follower follower(path_, 1, {.tail = 0}, {.stopped_fd = stopped.get()});
    std::this_thread::sleep_for(30ms);
    ASSERT_TRUE(writer.write(LogStream::Stdout, "new\n", at(1)));
    ASSERT_TRUE(follower.wait_for(1));
    signal(stopped);
    ASSERT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:new"}));
}

TEST_F(JsonLogReaderTest, FollowStopsPromptlyOnTheStopFd) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "x\n", at(0)));
    auto stopped = make_eventfd();
    Follower follower(path_, 1, {}, {.stopped_fd = stopped.get()});
    ASSERT_TRUE(follower.wait_for(1));
    EXPECT_FALSE(follower.wait_done(100ms));  // still following
    auto start = std::chrono::steady_clock::now();
    signal(stopped);
    ASSERT_TRUE(follower.wait_done(1s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    EXPECT_TRUE(follower.join());
}

TEST_F(JsonLogReaderTest, FollowOfAStoppedContainerReturnsAfterTheContent) {
    auto writer = open();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "x\n", at(0)));
    auto stopped = make_eventfd();
    signal(stopped);
    Follower follower(path_, 1, {}, {.stopped_fd = stopped.get()});
    ASSERT_TRUE(follower.wait_done(1s));
    EXPECT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:x"}));
}

TEST_F(JsonLogReaderTest, FollowEndsWhenTheClientHangsUp) {
    auto writer = open();
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    UniqueFd ours(pair[0]), client(pair[1]);
    Follower follower(path_, 1, {}, {.cancel_fd = ours.get()});
    EXPECT_FALSE(follower.wait_done(50ms));
    client.reset();
    ASSERT_TRUE(follower.wait_done(1s));
    EXPECT_TRUE(follower.join());
}

TEST_F(JsonLogReaderTest, FollowEndsWhenTheSinkRefuses) {
    auto writer = open();
    Follower follower(path_, 1, {}, {});
    follower.refuse_next();
    ASSERT_TRUE(writer.write(LogStream::Stdout, "a\nb\n", at(0)));
    ASSERT_TRUE(follower.wait_done(1s));
    EXPECT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:a"}));
}

TEST_F(JsonLogReaderTest, FollowEndsAfterUntil) {
    auto writer = open();
    Follower follower(path_, 1, {.until = at(1)}, {});
    ASSERT_TRUE(writer.write(LogStream::Stdout, "a\n", at(0)));
    ASSERT_TRUE(writer.write(LogStream::Stdout, "b\n", at(2)));
    ASSERT_TRUE(follower.wait_done(1s));
    EXPECT_TRUE(follower.join());
    EXPECT_EQ(follower.got(), strings({"o:a"}));
}

TEST(LogTimestampPrefix, HasNineDigitsAndASpace) {
    EXPECT_EQ(log_timestamp_prefix(timespec{1795851720, 120000000}),
              "2026-11-28T07:42:00.120000000Z ");
    EXPECT_EQ(log_timestamp_prefix(timespec{0, 5}), "1970-01-01T00:00:00.000000005Z ");
}

}  // namespace
}  // namespace berth::logs
