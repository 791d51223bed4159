#include "monitor/stdio_relay.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/fs.h"
#include "wire/stdcopy.h"

namespace berth::monitor {
namespace {

constexpr size_t kReadChunk = 32 * 1024;
constexpr size_t kStdinBufferLimit = 256 * 1024;

timespec now_realtime() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return now;
}

void set_nonblocking(int fd, bool on) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return;
    ::fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK);
}

}  // namespace

struct StdioRelay::Client {
    UniqueFd fd;
    AttachRequest request;
    bool input_ended = false;
    size_t detach_matched = 0;  // how many detach-key bytes the input has matched so far
};

StdioRelay::StdioRelay(RelayOptions options, UniqueFd out, UniqueFd err, UniqueFd in,
                       logs::JsonLogWriter* log)
    : options_(std::move(options)),
      out_(std::move(out)),
      err_(std::move(err)),
      in_(std::move(in)),
      log_(log) {
    if (in_.valid()) set_nonblocking(in_.get(), true);
}

StdioRelay::~StdioRelay() = default;

void StdioRelay::add_client(UniqueFd connection, const AttachRequest& request) {
    // Writes to clients block: a slow reader slows the container, as with docker's attach.
    set_nonblocking(connection.get(), false);
    auto client = std::make_unique<Client>();
    client->fd = std::move(connection);
    client->request = request;
    client->request.input.clear();
    client->input_ended = !request.stdin || !in_.valid();
    Client& added = *client;
    clients_.push_back(std::move(client));
    // What the client sent with its request comes before anything read from it.
    if (!added.input_ended && !request.input.empty()) take_input(added, request.input);
}

void StdioRelay::deliver(logs::LogStream stream, std::string_view data) {
    if (log_) (void)log_->write(stream, data, now_realtime());
    if (options_.capture_limit > captured_.size())
        captured_.append(data.substr(0, options_.capture_limit - captured_.size()));
    bool is_stdout = stream == logs::LogStream::Stdout;
    if (!options_.tty) {
        frame_.clear();
        wire::append_frame(frame_, is_stdout ? wire::StreamType::Stdout : wire::StreamType::Stderr,
                           data);
    }
    std::string_view bytes = options_.tty ? data : std::string_view(frame_);
    for (size_t i = 0; i < clients_.size();) {
        auto& c = *clients_[i];
        bool wants = is_stdout ? c.request.stdout : c.request.stderr;
        if (wants && !write_all(c.fd.get(), bytes)) {
            drop_client(i);
            continue;
        }
        ++i;
    }
}

void StdioRelay::read_output(UniqueFd& fd, logs::LogStream stream) {
    char buffer[kReadChunk];
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n > 0) {
        deliver(stream, std::string_view(buffer, static_cast<size_t>(n)));
        return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    // End of file, or EIO from a terminal whose other side is gone.
    fd.reset();
}

void StdioRelay::read_client_input(Client& c) {
    char buffer[kReadChunk];
    ssize_t n = ::read(c.fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        c.input_ended = true;
        if (options_.stdin_once) close_stdin();
        return;
    }
    take_input(c, std::string_view(buffer, static_cast<size_t>(n)));
}

void StdioRelay::take_input(Client& c, std::string_view data) {
    const std::string& keys = options_.detach_keys;
    if (options_.tty && !keys.empty()) {
        // Bytes that may start the detach sequence are held back until it is decided.
        std::string pass;
        for (char ch : data) {
            if (ch == keys[c.detach_matched]) {
                if (++c.detach_matched == keys.size()) {
                    c.input_ended = true;
                    ::shutdown(c.fd.get(), SHUT_RDWR);  // the client sees the end: detached
                    c.detach_matched = 0;
                    stdin_buffer_ += pass;
                    if (options_.on_detach) options_.on_detach();
                    return;
                }
                continue;
            }
            pass.append(keys, 0, c.detach_matched);
            c.detach_matched = 0;
            pass += ch;
        }
        stdin_buffer_ += pass;
    } else {
        stdin_buffer_.append(data);
    }
    flush_stdin();
}

void StdioRelay::flush_stdin() {
    while (in_.valid() && !stdin_buffer_.empty()) {
        ssize_t n = ::write(in_.get(), stdin_buffer_.data(), stdin_buffer_.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            in_.reset();  // the container closed its stdin
            stdin_buffer_.clear();
            return;
        }
        stdin_buffer_.erase(0, static_cast<size_t>(n));
    }
    if (stdin_closing_ && stdin_buffer_.empty() && in_.valid() && !options_.tty) in_.reset();
}

void StdioRelay::close_stdin() {
    stdin_closing_ = true;
    flush_stdin();
}

void StdioRelay::drop_client(size_t index) {
    bool had_stdin = clients_[index]->request.stdin;
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(index));
    if (had_stdin && options_.stdin_once) close_stdin();
}

Result<void> StdioRelay::poll_once(std::vector<pollfd>& extra, int timeout_ms) {
    std::vector<pollfd> fds;
    fds.reserve(3 + clients_.size() + extra.size());
    int out_index = -1, err_index = -1, in_index = -1;
    if (out_.valid()) {
        out_index = static_cast<int>(fds.size());
        fds.push_back({out_.get(), POLLIN, 0});
    }
    if (err_.valid()) {
        err_index = static_cast<int>(fds.size());
        fds.push_back({err_.get(), POLLIN, 0});
    }
    if (in_.valid() && !stdin_buffer_.empty()) {
        in_index = static_cast<int>(fds.size());
        fds.push_back({in_.get(), POLLOUT, 0});
    }
    size_t first_client = fds.size();
    bool accept_input = stdin_buffer_.size() < kStdinBufferLimit;
    for (const auto& c : clients_)
        fds.push_back(
            {c->fd.get(), static_cast<short>(!c->input_ended && accept_input ? POLLIN : 0), 0});
    size_t first_extra = fds.size();
    fds.insert(fds.end(), extra.begin(), extra.end());

    int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) return {};
        return fail_errno("poll");
    }
    for (size_t i = 0; i < extra.size(); ++i)
        extra[i].revents = fds[first_extra + i].revents;
    if (ready == 0) return {};

    if (out_index >= 0 && fds[out_index].revents) read_output(out_, logs::LogStream::Stdout);
    if (err_index >= 0 && fds[err_index].revents) read_output(err_, logs::LogStream::Stderr);
    if (in_index >= 0 && fds[in_index].revents) flush_stdin();
    // Clients: walk backwards so that dropping one keeps the indexes of the rest.
    for (size_t i = clients_.size(); i-- > 0;) {
        short revents = fds[first_client + i].revents;
        if (!revents) continue;
        auto& c = *clients_[i];
        if (revents & POLLIN) {
            read_client_input(c);
        } else if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
            drop_client(i);
        }
    }
    return {};
}

void StdioRelay::finish(bool half_close) {
    if (log_) (void)log_->flush_partial(now_realtime());
    if (half_close)
        for (auto& c : clients_)
            ::shutdown(c->fd.get(), SHUT_WR);
    clients_.clear();
}

}  // namespace berth::monitor
