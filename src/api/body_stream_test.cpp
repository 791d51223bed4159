#include "api/body_stream.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>

namespace berth::api {
namespace {

// An exchange whose request body is `body`, handed out in pieces of at most `piece` bytes, and
// whose streamed response is collected.
class MemoryExchange : public Exchange {
  public:
    explicit MemoryExchange(std::string body, size_t piece = 1000)
        : body_(std::move(body)), piece_(piece) {}

    Result<size_t> read_body(char* buffer, size_t size) override {
        size_t n = std::min({size, piece_, body_.size() - offset_});
        body_.copy(buffer, n, offset_);
        offset_ += n;
        return n;
    }
    Result<void> respond(int status, std::string_view, std::string_view body,
                         const Fields&) override {
        status_ = status;
        sent_ = body;
        responded_ = true;
        return {};
    }
    Result<void> begin_stream(int status, std::string_view, const Fields&) override {
        status_ = status;
        responded_ = true;
        return {};
    }
    Result<void> write(std::string_view data) override {
        if (fail_writes_) return fail(ErrorKind::Unavailable, "client went away");
        sent_ += data;
        return {};
    }
    Result<void> end_stream() override {
        ended_ = true;
        return {};
    }
    Result<HijackedConnection> hijack(std::string_view) override {
        return fail(ErrorKind::Unsupported, "no connection");
    }

    std::string body_;
    size_t piece_;
    size_t offset_ = 0;
    int status_ = 0;
    std::string sent_;
    bool ended_ = false;
    bool fail_writes_ = false;
};

Result<std::string> read_all(int fd) {
    std::string out;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) return fail_errno("read");
        if (n == 0) return out;
        out.append(buffer, static_cast<size_t>(n));
    }
}

Result<void> write_all_for_test(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) return fail_errno("write");
        done += static_cast<size_t>(n);
    }
    return {};
}

std::string pattern(size_t size) {
    std::string text(size, '\0');
    for (size_t i = 0; i < size; i++)
        text[i] = static_cast<char>('a' + i % 23);
    return text;
}

// berthd ignores SIGPIPE; so must the tests that make a writer meet a closed pipe.
const bool kSigpipeIgnored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
}();

TEST(PipeRequestBody, TheConsumerReadsTheWholeBody) {
    // Larger than any pipe buffer, so the copy and the consumer must run side by side.
    std::string body = pattern(5 << 20);
    MemoryExchange exchange(body, 70000);
    std::string seen;
    auto result = pipe_request_body(exchange, [&](int fd) -> Result<void> {
        seen = TRY(read_all(fd));
        return {};
    });
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(seen.size(), body.size());
    EXPECT_TRUE(seen == body);
}

TEST(PipeRequestBody, AConsumerThatStopsEarlyDoesNotHangTheCopy) {
    MemoryExchange exchange(pattern(8 << 20));
    auto result = pipe_request_body(exchange, [](int fd) -> Result<void> {
        char buffer[16];
        if (::read(fd, buffer, sizeof buffer) != sizeof buffer) return fail_errno("read");
        return fail(ErrorKind::InvalidArgument, "not a tar archive");
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(), "not a tar archive");
    // The rest was read and dropped, so that the client, still sending, gets the response.
    EXPECT_EQ(exchange.offset_, exchange.body_.size());
}

TEST(StreamResponse, WhatTheProducerWritesIsStreamed) {
    MemoryExchange exchange("");
    std::string data = pattern(3 << 20);
    auto result = stream_response(exchange, "application/x-tar", [&](int fd) -> Result<void> {
        return write_all_for_test(fd, data);
    });
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(exchange.status_, 200);
    EXPECT_TRUE(exchange.ended_);
    EXPECT_TRUE(exchange.sent_ == data);
}

TEST(StreamResponse, AFailingProducerLeavesTheStreamUnended) {
    MemoryExchange exchange("");
    auto result = stream_response(exchange, "application/x-tar", [](int fd) -> Result<void> {
        (void)!::write(fd, "partial", 7);
        return fail(ErrorKind::Internal, "blob is corrupt");
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(), "blob is corrupt");
    EXPECT_FALSE(exchange.ended_);  // the server then drops the connection
}

TEST(StreamResponse, AClientGoneAwayStopsTheProducer) {
    MemoryExchange exchange("");
    exchange.fail_writes_ = true;
    auto result = stream_response(exchange, "application/x-tar", [](int fd) -> Result<void> {
        std::string chunk(1 << 16, 'x');
        for (int i = 0; i < 1000; i++)  // 64 MiB: far more than the pipe holds
            if (::write(fd, chunk.data(), chunk.size()) < 0) return fail_errno("write");
        return {};
    });
    ASSERT_FALSE(result);
}

}  // namespace
}  // namespace berth::api
