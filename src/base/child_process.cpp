#include "base/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"

namespace berth {

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        kill_and_reap();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    kill_and_reap();
}

void ChildProcess::kill_and_reap() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

Result<int> ChildProcess::wait() {
    if (pid_ <= 0) return fail(ErrorKind::InvalidArgument, "wait: no child process");
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) return fail_errno("waitpid " + std::to_string(pid_));
    }
    pid_ = -1;
    pidfd_.reset();
    return status;
}

Result<int> ChildProcess::try_wait() {
    if (pid_ <= 0) return fail(ErrorKind::InvalidArgument, "wait: no child process");
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r < 0) return fail_errno("waitpid " + std::to_string(pid_));
    if (r == 0) return -1;
    pid_ = -1;
    pidfd_.reset();
    return status;
}

Result<void> ChildProcess::signal(int sig) const {
    if (pid_ <= 0) return fail(ErrorKind::InvalidArgument, "signal: no child process");
    if (::kill(pid_, sig) < 0) return fail_errno("kill " + std::to_string(pid_));
    return {};
}

pid_t ChildProcess::release() {
    pidfd_.reset();
    return std::exchange(pid_, -1);
}

int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

Result<ChildProcess> spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    if (argv.empty()) return fail(ErrorKind::InvalidArgument, "spawn: empty command");
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(options.env.size() + 1);
    for (const auto& e : options.env)
        envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    // Reports a chdir or exec failure back to the parent through a close-on-exec pipe.
    struct Failure {
        int in_chdir;
        int err;
    };
    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) return fail_errno("pipe");
    UniqueFd report_read(report[0]), report_write(report[1]);

    const char* file = options.executable.empty() ? args[0] : options.executable.c_str();
    pid_t pid = ::fork();
    if (pid < 0) return fail_errno("fork");
    if (pid == 0) {
        // The program starts with default signal handling whatever the caller blocked or ignored
        // (a runtime ignores SIGPIPE and blocks signals while it supervises).
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (options.stdin_fd >= 0) ::dup2(options.stdin_fd, 0);
        if (options.stdout_fd >= 0) ::dup2(options.stdout_fd, 1);
        if (options.stderr_fd >= 0) ::dup2(options.stderr_fd, 2);
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) < 0) {
            Failure failure{1, errno};
            (void)!::write(report_write.get(), &failure, sizeof failure);
            ::_exit(127);
        }
        if (options.env.empty()) {
            ::execvp(file, args.data());
        } else {
            ::execvpe(file, args.data(), envp.data());
        }
        Failure failure{0, errno};
        (void)!::write(report_write.get(), &failure, sizeof failure);
        ::_exit(127);
    }
    report_write.reset();
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    ChildProcess child(pid, UniqueFd(pidfd));
    Failure failure{};
    ssize_t n;
    while ((n = ::read(report_read.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
    }
    if (n == sizeof failure) {
        (void)child.wait();
        if (failure.in_chdir) return fail_errno("chdir to " + options.cwd, failure.err);
        return fail_errno("exec " + std::string(file), failure.err);
    }
    return child;
}

Result<int> run_with_input(const std::vector<std::string>& argv, const std::string& input,
                           const SpawnOptions& options) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno("pipe");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    SpawnOptions opts = options;
    opts.stdin_fd = read_end.get();
    auto child = TRY(spawn(argv, opts));
    read_end.reset();
    // A child that does not read its stdin must not fail us: ignore EPIPE.
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old);
    (void)write_all(write_end.get(), input);
    ::sigaction(SIGPIPE, &old, nullptr);
    write_end.reset();
    return child.wait();
}

Result<std::string> run_and_capture(const std::vector<std::string>& argv,
                                    const SpawnOptions& options) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) return fail_errno("pipe");
    UniqueFd out_read(out[0]), out_write(out[1]);
    // stderr goes to an unlinked temp file: reading two pipes in turn could deadlock.
    UniqueFd err_file;
    SpawnOptions opts = options;
    opts.stdout_fd = out_write.get();
    if (opts.stderr_fd < 0) {
        err_file.reset(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
        if (err_file) opts.stderr_fd = err_file.get();
    }
    auto child = TRY(spawn(argv, opts));
    out_write.reset();
    std::string output;
    char buffer[65536];
    while (true) {
        ssize_t n = ::read(out_read.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read output of " + argv[0]);
        }
        if (n == 0) break;
        output.append(buffer, static_cast<size_t>(n));
    }
    int status = TRY(child.wait());
    if (status != 0) {
        std::string detail;
        if (err_file) {
            std::string err;
            ::lseek(err_file.get(), 0, SEEK_SET);
            while (true) {
                ssize_t n = ::read(err_file.get(), buffer, sizeof buffer);
                if (n <= 0) break;
                err.append(buffer, static_cast<size_t>(n));
            }
            while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
                err.pop_back();
            detail = err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
        }
        return fail(ErrorKind::Internal, argv[0] + " failed (exit code " +
                                             std::to_string(exit_code_of(status)) + ")" +
                                             (detail.empty() ? "" : ": " + detail));
    }
    return output;
}

}  // namespace berth
