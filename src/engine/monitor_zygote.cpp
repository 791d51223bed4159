#include "engine/monitor_zygote.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/zygote.h"

extern char** environ;

namespace berth::engine {

MonitorZygote::~MonitorZygote() {
    std::lock_guard lock(mutex_);
    stop_locked();
}

Result<void> MonitorZygote::launch(const std::string& dir, int status_fd,
                                   const std::vector<int>& inherited) {
    std::lock_guard lock(mutex_);
    last_launch_ = std::chrono::steady_clock::now();
    if (!socket_.valid()) TRY(start_locked());
    auto sent = monitor::request_monitor(socket_.get(), dir, status_fd, inherited);
    if (sent) return {};
    // Gone (killed?): once more with a new one.
    stop_locked();
    TRY(start_locked());
    return monitor::request_monitor(socket_.get(), dir, status_fd, inherited);
}

void MonitorZygote::stop_if_idle(std::chrono::steady_clock::duration idle) {
    std::lock_guard lock(mutex_);
    if (socket_.valid() && std::chrono::steady_clock::now() - last_launch_ >= idle) stop_locked();
}

Result<void> MonitorZygote::start_locked() {
    auto executable = TRY(binary_.executable());
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
        return fail_errno("socketpair");
    UniqueFd ours(pair[0]), theirs(pair[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, theirs.get(), monitor::kZygoteFd);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The daemon blocks its stop signals in every thread; the monitors must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    // The exec root names the daemon in ps; the padding is room for the monitors' titles.
    std::string binary = binary_.path(), mode = "zygote", exec_root = exec_root_,
                room(monitor::kZygoteTitleRoom, ' ');
    char* argv[] = {binary.data(), mode.data(), exec_root.data(), room.data(), nullptr};
    pid_t child = 0;
    int err = ::posix_spawn(&child, executable.exec_path.c_str(), &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0) return fail_errno("start " + binary + " zygote", err);
    socket_ = std::move(ours);
    pid_ = child;
    return {};
}

void MonitorZygote::stop_locked() {
    socket_.reset();  // its end of file: the zygote exits
    if (pid_ > 0)
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
    pid_ = 0;
}

}  // namespace berth::engine
