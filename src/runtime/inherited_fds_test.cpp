#include "runtime/inherited_fds.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace berth::runtime {
namespace {

constexpr int kHighest = 64;

// Runs `close` in a child whose fds 3…kHighest are all open, and returns the numbers the child
// still has open afterwards (3 and up).
std::vector<int> open_after(void (*close)(int report_fd)) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) return {-1};
    pid_t pid = ::fork();
    if (pid == 0) {
        int report_fd = ::fcntl(report[1], F_DUPFD_CLOEXEC, kHighest + 1);
        int source = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        for (int fd = 3; fd <= kHighest; ++fd)
            if (fd != source) ::dup2(source, fd);
        close(report_fd);
        std::string open;
        for (int fd = 3; fd <= kHighest; ++fd)
            if (::fcntl(fd, F_GETFD) >= 0) open += std::to_string(fd) + " ";
        (void)!::write(report_fd, open.data(), open.size());
        ::_exit(0);
    }
    ::close(report[1]);
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(report[0], buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    ::close(report[0]);
    ::waitpid(pid, nullptr, 0);
    std::vector<int> fds;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t space = text.find(' ', pos);
        fds.push_back(std::stoi(text.substr(pos, space - pos)));
        pos = space + 1;
    }
    return fds;
}

TEST(CloseFdsExcept, KeepsOnlyThePreservedAndTheNamed) {
    auto left = open_after([](int report_fd) { close_fds_except(2, {40, report_fd, 11, -1}); });
    EXPECT_EQ(left, (std::vector<int>{3, 4, 11, 40}));
}

TEST(CloseFdsExcept, WithoutAnythingToKeepOnlyStdioRemains) {
    auto left = open_after([](int report_fd) {
        close_fds_except(0, {report_fd});
        // The report fd is above kHighest: nothing in 3…kHighest may be left.
    });
    EXPECT_TRUE(left.empty());
}

TEST(CloseFdsExcept, AKeptFdInsideThePreservedRangeChangesNothing) {
    auto left = open_after([](int report_fd) { close_fds_except(3, {4, 5, report_fd, 3}); });
    EXPECT_EQ(left, (std::vector<int>{3, 4, 5}));
}

TEST(CloseFdsExcept, AdjacentKeptFds) {
    auto left = open_after([](int report_fd) { close_fds_except(0, {7, 8, 9, report_fd, 64}); });
    EXPECT_EQ(left, (std::vector<int>{7, 8, 9, 64}));
}

}  // namespace
}  // namespace berth::runtime
