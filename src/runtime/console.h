// Terminals for containers: the pty is opened inside the container (its devpts), the master is
// handed to whoever listens on --console-socket, and the slave becomes the process's stdio.
#pragma once

#include <termios.h>

#include <optional>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// Child side, inside the container's mount namespace. Sends the master over `console_socket`,
// makes the slave the controlling terminal and stdio. With `mount_console`, the slave is also
// bind-mounted on /dev/console.
Result<void> setup_console(int console_socket, const std::optional<oci::ConsoleSize>& size,
                           bool mount_console);

// Copies between our stdio and a pty master until the master hangs up; puts our terminal in raw
// mode meanwhile when stdin is one. Used by foreground `run`/`exec` with a terminal and no
// --console-socket.
class TerminalProxy {
  public:
    explicit TerminalProxy(UniqueFd master);
    ~TerminalProxy();
    int master() const { return master_.get(); }
    // Forwards pending input/output; returns false once the master reached end of file.
    bool pump(short master_events, short stdin_events);
    void resize_from_stdin() const;
    bool stdin_open() const { return stdin_open_; }

  private:
    UniqueFd master_;
    bool raw_ = false;
    bool stdin_open_ = true;
    std::optional<termios> saved_;
};

}  // namespace berth::runtime
