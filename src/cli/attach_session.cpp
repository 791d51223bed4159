#include "cli/attach_session.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include "wire/detach_keys.h"
#include "wire/stdcopy.h"

namespace berth::cli {
namespace {

Result<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("write");
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// To the daemon's socket (its own, or the TLS bridge's): a daemon that hung up is EPIPE here,
// not a SIGPIPE that would kill the CLI.
Result<void> send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail_errno("write to daemon");
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// Delivers daemon output: raw with a TTY, else frame by frame to stdout or stderr.
class OutputSink {
  public:
    explicit OutputSink(bool tty) : tty_(tty) {}

    Result<void> feed(std::string_view bytes) {
        if (tty_) return write_all(STDOUT_FILENO, bytes);
        return decoder_.demultiplex(bytes, [](wire::StreamType stream, std::string_view payload) {
            return write_all(stream == wire::StreamType::Stderr ? STDERR_FILENO : STDOUT_FILENO,
                             payload);
        });
    }

  private:
    bool tty_;
    wire::FrameDecoder decoder_;
};

}  // namespace

Result<std::string> parse_detach_keys(std::string_view text) {
    return wire::parse_detach_keys(text.empty() ? "ctrl-p,ctrl-q" : text);
}

std::string DetachScanner::feed(std::string_view input, bool& detached) {
    std::string out;
    for (char c : input) {
        if (keys_.empty()) {
            out += c;
            continue;
        }
        if (c == keys_[matched_]) {
            if (++matched_ == keys_.size()) {
                detached = true;
                return out;
            }
            continue;
        }
        // Not the sequence after all: the held-back prefix was typed input.
        out.append(keys_, 0, matched_);
        matched_ = 0;
        if (c == keys_[0]) {
            matched_ = 1;
            continue;
        }
        out += c;
    }
    return out;
}

Result<bool> run_session(client::Hijacked& connection, const SessionOptions& options) {
    OutputSink sink(options.tty);
    DetachScanner scanner(options.tty ? options.detach_keys : std::string());
    if (!connection.leftover.empty()) TRY(sink.feed(connection.leftover));
    bool stdin_open = options.send_stdin;
    char buffer[32768];
    while (true) {
        pollfd fds[3];
        nfds_t count = 0;
        fds[count++] = {connection.fd.get(), POLLIN, 0};
        int stdin_index = -1, signal_index = -1;
        if (stdin_open) {
            stdin_index = static_cast<int>(count);
            fds[count++] = {STDIN_FILENO, POLLIN, 0};
        }
        if (options.signals) {
            signal_index = static_cast<int>(count);
            fds[count++] = {options.signals->fd(), POLLIN, 0};
        }
        if (::poll(fds, count, -1) < 0) {
            if (errno == EINTR) continue;
            return fail_errno("poll");
        }
        if (signal_index >= 0 && (fds[signal_index].revents & POLLIN)) {
            while (auto signal = options.signals->next()) {
                if (*signal == SIGWINCH) {
                    if (options.on_resize) options.on_resize();
                } else if (options.on_signal) {
                    options.on_signal(*signal);
                }
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(connection.fd.get(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;  // the daemon ended the stream
            TRY(sink.feed(std::string_view(buffer, static_cast<size_t>(n))));
        }
        if (stdin_index >= 0 && (fds[stdin_index].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                // Our input ended: tell the daemon (it closes the container's stdin) and keep
                // reading output.
                stdin_open = false;
                ::shutdown(connection.fd.get(), SHUT_WR);
                continue;
            }
            bool detached = false;
            std::string input =
                scanner.feed(std::string_view(buffer, static_cast<size_t>(n)), detached);
            if (!input.empty() && !send_all(connection.fd.get(), input)) stdin_open = false;
            if (detached) return true;
        }
    }
}

Result<void> copy_output(client::BodyReader& body, bool tty) {
    OutputSink sink(tty);
    char buffer[32768];
    while (size_t n = TRY(body.read_some(buffer, sizeof buffer)))
        TRY(sink.feed(std::string_view(buffer, n)));
    return {};
}

}  // namespace berth::cli
