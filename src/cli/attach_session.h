// Copying between the local terminal and a hijacked daemon connection (run, start -a, attach,
// exec): stdin to the daemon, the daemon's stream (raw with a TTY, multiplexed without) to
// stdout/stderr, signals to callbacks, until the daemon ends the stream.
#pragma once

#include <functional>

#include "base/error.h"
#include "cli/terminal.h"
#include "client/docker_client.h"

namespace berth::cli {

// docker's --detach-keys syntax: "ctrl-p,ctrl-q" (the default when empty), "a,ctrl-@".
Result<std::string> parse_detach_keys(std::string_view text);

// Watches typed input for the detach sequence, holding back a partial match until it is
// decided, as docker's CLI does on its side of a TTY session.
class DetachScanner {
  public:
    explicit DetachScanner(std::string keys) : keys_(std::move(keys)) {}
    // The bytes to pass on; `detached` becomes true when the sequence completes.
    std::string feed(std::string_view input, bool& detached);

  private:
    std::string keys_;
    size_t matched_ = 0;
};

struct SessionOptions {
    bool tty = false;         // the stream is raw (no frames)
    bool send_stdin = false;  // copy our stdin to the daemon
    std::string detach_keys;  // with a TTY: the parsed sequence that ends the session
    SignalWatch* signals = nullptr;
    std::function<void()> on_resize;            // SIGWINCH
    std::function<void(int signal)> on_signal;  // any other watched signal
};

// Returns when the daemon closes the stream (the container's output ended): false, or when the
// user typed the detach keys: true.
Result<bool> run_session(client::Hijacked& connection, const SessionOptions& options);

// Copies a response body to stdout/stderr: demultiplexed unless `tty`.
Result<void> copy_output(client::BodyReader& body, bool tty);

}  // namespace berth::cli
