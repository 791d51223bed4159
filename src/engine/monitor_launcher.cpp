#include "engine/monitor_launcher.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/fs.h"
#include "base/socket_address.h"
#include "engine/monitor_binary.h"
#include "engine/monitor_zygote.h"

extern char** environ;

namespace berth::engine {
namespace {

// Where spawn sources are parked, clear of the fd numbers they move to.
constexpr int kParkFloor = 100;

// Splits off the first line of `buffer`; nullopt while there is none.
std::optional<std::string> take_line(std::string& buffer) {
    size_t newline = buffer.find('\n');
    if (newline == std::string::npos) return std::nullopt;
    std::string line = buffer.substr(0, newline);
    buffer.erase(0, newline + 1);
    return line;
}

std::optional<monitor::ExitRecord> exit_from_line(const std::string& line) {
    auto doc = parse_json(line, "monitor status");
    if (!doc || !doc->is_object() || !doc->contains("exit_code")) return std::nullopt;
    auto record = monitor::exit_from_json(*doc);
    if (!record) return std::nullopt;
    return *record;
}

// {"event": "detach"}: something the monitor saw that berthd publishes.
std::optional<std::string> event_from_line(const std::string& line) {
    auto doc = parse_json(line, "monitor status");
    if (!doc || !doc->is_object() || !(*doc)["event"].is_string()) return std::nullopt;
    return (*doc)["event"].get<std::string>();
}

}  // namespace

std::optional<monitor::ExitRecord> recorded_exit(const std::string& dir) {
    auto doc = read_json_file(join_path(dir, "exit.json"));
    if (!doc) return std::nullopt;
    auto record = monitor::exit_from_json(*doc);
    if (!record) return std::nullopt;
    return *record;
}

namespace {

// Starts the monitor's process; returns the pid berthd waits for, 0 when there is none (the
// zygote forked it).
Result<pid_t> start_monitor_process(MonitorBinary& binary, const std::string& mode,
                                    const std::string& dir, const std::vector<int>& inherited,
                                    int status_write, MonitorZygote* zygote) {
    if (zygote && mode == "container")
        if (zygote->launch(dir, status_write, inherited)) return 0;

    // Park every source high first: a source could sit on a target number (an attach
    // connection that happens to be fd 4), and dup2 onto itself would leave it close-on-exec.
    std::vector<UniqueFd> parked;
    auto park = [&](int fd) -> Result<int> {
        int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, kParkFloor);
        if (copy < 0) return fail_errno("dup");
        parked.emplace_back(copy);
        return copy;
    };
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    struct Cleanup {
        posix_spawn_file_actions_t* actions;
        posix_spawnattr_t* attr;
        ~Cleanup() {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
        }
    } cleanup{&actions, &attr};
    posix_spawn_file_actions_adddup2(&actions, TRY(park(status_write)), monitor::kStatusFd);
    for (size_t i = 0; i < inherited.size(); ++i)
        posix_spawn_file_actions_adddup2(&actions, TRY(park(inherited[i])),
                                         monitor::kFirstInheritedFd + static_cast<int>(i));
    // The daemon blocks its stop signals in every thread; the monitor must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

    auto executable = TRY(binary.executable());
    std::string mode_arg = mode, dir_arg = dir, binary_arg = binary.path();
    char* argv[] = {binary_arg.data(), mode_arg.data(), dir_arg.data(), nullptr};
    pid_t child = 0;
    int err = ::posix_spawn(&child, executable.exec_path.c_str(), &actions, &attr, argv, environ);
    if (err != 0) return fail_errno("start " + binary.path(), err);
    return child;
}

}  // namespace

Result<RunningMonitor> spawn_monitor(MonitorBinary& binary, const std::string& mode,
                                     const std::string& dir, const std::vector<int>& inherited,
                                     MonitorZygote* zygote) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return fail_errno("pipe");
    UniqueFd status_read(pipe_fds[0]), status_write(pipe_fds[1]);
    pid_t child =
        TRY(start_monitor_process(binary, mode, dir, inherited, status_write.get(), zygote));
    status_write.reset();

    RunningMonitor running;
    running.status = std::move(status_read);
    if (child == 0) {
        // The zygote forked it; the kernel reaps it (the zygote ignores SIGCHLD).
    } else if (mode == "container") {
        // It forks once more and this first process exits at once.
        int wait_status = 0;
        while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
        }
    } else {
        running.monitor_pid = child;
    }
    std::string buffer;
    std::optional<std::string> line;
    char chunk[4096];
    while (!(line = take_line(buffer))) {
        ssize_t n = ::read(running.status.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
    }
    auto fail_spawn = [&](std::string message) -> Result<RunningMonitor> {
        if (running.monitor_pid > 0)
            while (::waitpid(running.monitor_pid, nullptr, 0) < 0 && errno == EINTR) {
            }
        return fail(ErrorKind::Internal, std::move(message));
    };
    if (!line) return fail_spawn("the monitor exited before starting the process");
    auto doc = parse_json(*line, "monitor status");
    if (!doc || !doc->is_object()) return fail_spawn("the monitor sent no status");
    if (doc->contains("error")) return fail_spawn(doc->value("error", std::string()));
    running.pid = doc->value("pid", 0);
    running.pending = std::move(buffer);
    return running;
}

std::optional<monitor::ExitRecord> finish_monitor(RunningMonitor& running) {
    std::string& buffer = running.pending;
    char chunk[16384];
    for (;;) {
        while (auto line = take_line(buffer))
            if (auto record = exit_from_line(*line)) {
                if (running.monitor_pid > 0)
                    while (::waitpid(running.monitor_pid, nullptr, 0) < 0 && errno == EINTR) {
                    }
                return *record;
            }
        ssize_t n = ::read(running.status.get(), chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
    }
    if (running.monitor_pid > 0)
        while (::waitpid(running.monitor_pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    return std::nullopt;
}

Result<UniqueFd> connect_monitor(const std::string& dir) {
    std::string path = join_path(dir, "monitor.sock");
    sockaddr_un addr{};
    UniqueFd dir_fd;
    TRY(unix_socket_address(path, addr, dir_fd));
    UniqueFd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return fail_errno("socket");
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return fail(ErrorKind::NotFound, "no monitor answers at " + path);
    return sock;
}

MonitorWatcher::MonitorWatcher(ExitCallback on_exit, LostCallback on_lost, GoneCallback on_gone,
                               EventCallback on_event)
    : on_exit_(std::move(on_exit)),
      on_lost_(std::move(on_lost)),
      on_gone_(std::move(on_gone)),
      on_event_(std::move(on_event)) {}

MonitorWatcher::~MonitorWatcher() {
    stop();
}

Result<void> MonitorWatcher::start() {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) return fail_errno("epoll_create1");
    wake_.reset(::eventfd(0, EFD_CLOEXEC));
    if (!wake_.valid()) return fail_errno("eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &ev) < 0)
        return fail_errno("epoll_ctl");
    kick_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!kick_.valid()) return fail_errno("eventfd");
    ev.data.fd = kick_.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, kick_.get(), &ev) < 0)
        return fail_errno("epoll_ctl");
    thread_ = std::thread([this] { run(); });
    return {};
}

void MonitorWatcher::stop() {
    if (!thread_.joinable()) return;
    uint64_t one = 1;
    (void)!::write(wake_.get(), &one, sizeof one);
    thread_.join();
}

Result<void> MonitorWatcher::watch(const std::string& id, UniqueFd fd, std::string pending,
                                   const std::string& dir) {
    int raw = fd.get();
    // A process that ends at once has its exit read with the first status line; the pipe then
    // holds nothing more but its end, so the buffered exit must be reported by itself.
    bool exit_buffered = pending.find('\n') != std::string::npos;
    {
        std::lock_guard lock(mutex_);
        watched_[raw] = Watched{id, std::move(fd), std::move(pending), dir};
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = raw;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) < 0) {
        std::lock_guard lock(mutex_);
        watched_.erase(raw);
        return fail_errno("epoll_ctl");
    }
    // The monitor may have finished before we started watching: its pipe then holds the exit
    // already, which epoll reports as readable right away.
    if (exit_buffered) {
        uint64_t one = 1;
        (void)!::write(kick_.get(), &one, sizeof one);
    }
    return {};
}

void MonitorWatcher::run() {
    epoll_event events[32];
    for (;;) {
        int n = ::epoll_wait(epoll_.get(), events, 32, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == wake_.get()) return;
            if (events[i].data.fd == kick_.get()) {
                report_pending_exits();
                continue;
            }
            service(events[i].data.fd);
        }
    }
}

void MonitorWatcher::service(int fd) {
    Watched* watched;
    {
        std::lock_guard lock(mutex_);
        auto it = watched_.find(fd);
        if (it == watched_.end()) return;
        watched = &it->second;
    }
    char chunk[16384];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0 && errno == ENOTSOCK) n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) {
        if (watched->exit_reported) return;  // nothing follows the exit but the end
        watched->buffer.append(chunk, static_cast<size_t>(n));
        report_buffered_lines(*watched);
        return;
    }
    // The end: the monitor's process is gone. An exit still buffered was reported first.
    if (!watched->exit_reported) report_buffered_lines(*watched);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    Watched done;
    {
        std::lock_guard lock(mutex_);
        auto node = watched_.extract(fd);
        done = std::move(node.mapped());
    }
    if (!done.exit_reported) on_lost_(done.id, done.dir);
    on_gone_(done.id);
}

void MonitorWatcher::report_buffered_lines(Watched& watched) {
    while (auto line = take_line(watched.buffer)) {
        if (auto record = exit_from_line(*line)) {
            watched.exit_reported = true;
            on_exit_(watched.id, std::move(*record));
            return;
        }
        if (auto action = event_from_line(*line); action && on_event_)
            on_event_(watched.id, *action);
    }
}

void MonitorWatcher::report_pending_exits() {
    uint64_t count = 0;
    (void)!::read(kick_.get(), &count, sizeof count);
    // Nodes of watched_ stay put while others are added, and only this thread removes them;
    // the callbacks run without the lock (they may watch() again).
    std::vector<Watched*> ready;
    {
        std::lock_guard lock(mutex_);
        for (auto& [fd, watched] : watched_)
            if (!watched.exit_reported && watched.buffer.find('\n') != std::string::npos)
                ready.push_back(&watched);
    }
    for (Watched* watched : ready)
        report_buffered_lines(*watched);
}

}  // namespace berth::engine
