// The channel between the runtime and the container's init (or exec) child: a SOCK_SEQPACKET pair,
// one message per packet, a type byte followed by text. Errors before exec travel back this way,
// so the user sees why setting the container up failed.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime {

enum class SyncType : char {
    Mapped = 'm',     // parent -> child: id mappings written, go on
    Ready = 'r',      // child -> parent: set up, waiting to exec
    Go = 'g',         // parent -> child: exec now
    Error = 'e',      // child -> parent: setup failed; text is the message
    Warning = 'w',    // child -> parent: text to log as a warning
    Hooks = 'h',      // child -> parent: namespaces and mounts are ready, run the runtime's hooks
    HooksDone = 'H',  // parent -> child: done; text is the state JSON for the container's hooks
    SeccompListener = 's',      // child -> parent: text is the fd number of a seccomp listener
    SeccompListenerDone = 'S',  // parent -> child: the listener reached the agent
    CgroupJoined = 'c',         // parent -> child: you are in the container's cgroup now
};

struct SyncMessage {
    SyncType type;
    std::string text;
};

class SyncSocket {
  public:
    SyncSocket() = default;
    explicit SyncSocket(UniqueFd fd) : fd_(std::move(fd)) {}
    int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }

    Result<void> send(SyncType type, std::string_view text = {}) const;
    // Blocks for the next message; Unavailable when the peer closed its end.
    Result<SyncMessage> receive() const;
    // Waits for a message of type `expected`; an Error message becomes an error with its text.
    Result<void> expect(SyncType expected) const;

  private:
    UniqueFd fd_;
};

Result<std::pair<SyncSocket, SyncSocket>> make_sync_pair();

// Passing file descriptors over a unix socket (SCM_RIGHTS), as the console socket protocol wants.
Result<void> send_fd(int socket_fd, int fd, std::string_view name);
Result<UniqueFd> receive_fd(int socket_fd);
Result<UniqueFd> connect_unix(const std::string& path);
// Where a terminal master goes: a duplicate of `fd` when the caller passed a connected socket,
// else a new connection to the console socket at `path`.
Result<UniqueFd> console_channel(const std::string& path, int fd);

// The two ends a new process's terminal takes: the child sends its master over `to_child` (the
// console socket, or one end of a pair); `proxy_end`, the pair's other end, is ours when we proxy
// the terminal ourselves (no console socket given). Both empty without a terminal.
struct ConsoleEnds {
    UniqueFd to_child;
    UniqueFd proxy_end;
};
Result<ConsoleEnds> open_console_ends(bool terminal, bool proxy, const std::string& socket_path,
                                      int socket_fd);

}  // namespace berth::runtime
