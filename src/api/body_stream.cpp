#include "api/body_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "base/unique_fd.h"

namespace berth::api {
namespace {

constexpr size_t kCopyBuffer = 256 * 1024;
// How much of a body is read and dropped after its consumer failed, so that the client gets the
// error: more than the rest of any image a full disk cut short, less than forever (a client
// that streams without end gets its connection closed after this).
constexpr uint64_t kMaxDrain = uint64_t{1} << 30;

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe");
    // Fewer wake-ups per megabyte; the default 64 KiB is kept when the limit says no.
    (void)::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
    return std::pair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<void> write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("write to pipe");
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

Result<void> pipe_request_body(Exchange& exchange,
                               const std::function<Result<void>(int read_fd)>& consumer) {
    auto [read_end, write_end] = TRY(make_pipe());
    std::optional<Result<void>> consumed;
    // The consumer closes its end when done, so a consumer that stops early turns the copy's
    // next write into EPIPE instead of a hang (berthd ignores SIGPIPE).
    std::thread worker([&consumed, &consumer, fd = std::move(read_end)]() mutable {
        consumed = consumer(fd.get());
        fd.reset();
    });
    Result<void> copied;
    std::vector<char> buffer(kCopyBuffer);
    uint64_t dropped = 0;
    while (dropped <= kMaxDrain) {
        auto got = exchange.read_body(buffer.data(), buffer.size());
        if (!got) {
            copied = std::unexpected(got.error());
            break;
        }
        if (*got == 0) break;
        // Once the consumer has stopped (a full disk, a bad archive), the rest of the body is
        // read and dropped: a client cut off while it still sends sees "broken pipe", never the
        // error that the response carries.
        if (write_end && !write_all(write_end.get(), buffer.data(), *got)) write_end.reset();
        if (!write_end) dropped += *got;
    }
    write_end.reset();
    worker.join();
    if (!*consumed) return *consumed;
    return copied;
}

Result<void> stream_response(Exchange& exchange, std::string_view content_type,
                             const std::function<Result<void>(int write_fd)>& producer,
                             const Fields& headers) {
    auto [read_end, write_end] = TRY(make_pipe());
    std::optional<Result<void>> produced;
    std::thread worker([&produced, &producer, fd = std::move(write_end)]() mutable {
        produced = producer(fd.get());
        fd.reset();
    });
    Result<void> sent = exchange.begin_stream(200, content_type, headers);
    std::vector<char> buffer(kCopyBuffer);
    while (sent) {
        ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            sent = fail_errno("read from pipe");
            break;
        }
        if (n == 0) break;
        sent = exchange.write(std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
    read_end.reset();  // a producer still writing gets EPIPE and ends
    worker.join();
    if (!*produced) return *produced;
    TRY(sent);
    return exchange.end_stream();
}

}  // namespace berth::api
