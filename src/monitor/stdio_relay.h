// The monitor's stdio pump: the container's stdout/stderr (or its terminal) go to the json-file
// log, to every attached client (docker's 8-byte frames without a terminal, raw bytes with one)
// and optionally to a capture buffer; attached clients' input goes to the container's stdin.
//
// Single-threaded: the owner calls poll_once() in a loop, passing its own fds along (listening
// socket, pidfd…) so that one poll() waits for everything. Input to the container is buffered
// and written as the container reads it, so a container that writes much and reads late cannot
// deadlock against us; while that buffer is full, clients' input is not read (back-pressure).
#pragma once

#include <poll.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "logs/json_log_writer.h"
#include "monitor/monitor_protocol.h"

namespace berth::monitor {

struct RelayOptions {
    bool tty = false;
    bool stdin_once = false;
    std::string detach_keys = "\x10\x11";
    size_t capture_limit = 0;
    std::function<void()> on_detach;  // a client detached with the detach keys
};

class StdioRelay {
  public:
    // `out` carries stdout (or the terminal), `err` stderr (invalid with a terminal), `in` the
    // container's stdin (invalid when it has none). `log` may be null.
    StdioRelay(RelayOptions options, UniqueFd out, UniqueFd err, UniqueFd in,
               logs::JsonLogWriter* log);
    ~StdioRelay();

    // A client; request.input (its early bytes) is taken as if read from it first.
    void add_client(UniqueFd connection, const AttachRequest& request);

    // Waits up to timeout_ms for any of the relay's fds or `extra`, and services the relay's.
    // The caller looks at extra[i].revents afterwards.
    Result<void> poll_once(std::vector<pollfd>& extra, int timeout_ms);

    // True while stdout or stderr can still deliver bytes.
    bool output_open() const { return out_.valid() || err_.valid(); }
    // Ends the container's stdin (after what is buffered), closes the outputs' read ends.
    void close_stdin();
    // Flushes partial log lines and drops every client, half-closing their connections unless
    // someone else does that once the exit is recorded (exec: berthd).
    void finish(bool half_close = true);
    const std::string& captured() const { return captured_; }
    int terminal_fd() const { return options_.tty ? out_.get() : -1; }

  private:
    struct Client;
    void deliver(logs::LogStream stream, std::string_view data);
    void read_output(UniqueFd& fd, logs::LogStream stream);
    void read_client_input(Client& client);
    // The client's input towards stdin: detach keys are looked for, the rest is buffered.
    void take_input(Client& client, std::string_view data);
    void flush_stdin();
    void drop_client(size_t index);

    RelayOptions options_;
    UniqueFd out_, err_, in_;
    logs::JsonLogWriter* log_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::string stdin_buffer_;
    bool stdin_closing_ = false;
    std::string captured_;
    std::string frame_;  // reused for framing
};

}  // namespace berth::monitor
