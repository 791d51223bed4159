#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/child_process.h"
#include "base/fs.h"

namespace berth::runtime {

namespace {

int64_t now_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    constexpr size_t kMaxOutput = 1024;
    if (text.size() > kMaxOutput) text = "..." + text.substr(text.size() - kMaxOutput);
    return text;
}

Result<void> run_hook(const oci::Hook& hook, const std::string& state, std::string_view point) {
    std::string what = std::string(point) + " hook " + hook.path;
    std::vector<std::string> argv =
        hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) < 0 || ::pipe2(out, O_CLOEXEC) < 0)
        return fail_errno(what + ": pipe");
    UniqueFd in_read(in[0]), in_write(in[1]), out_read(out[0]), out_write(out[1]);
    SpawnOptions options;
    options.executable = hook.path;
    options.env = hook.env;
    options.stdin_fd = in_read.get();
    options.stdout_fd = out_write.get();
    options.stderr_fd = out_write.get();
    auto child = TRY_CTX(spawn(argv, options), what);
    in_read.reset();
    out_write.reset();
    // A hook that does not read its stdin makes this fail with EPIPE (SIGPIPE is ignored by the
    // runtime); the state fits in the pipe's buffer, so the write never blocks.
    (void)write_all(in_write.get(), state);
    in_write.reset();
    // Collect its output until it exits or the timeout passes.
    std::string output;
    int64_t deadline = hook.timeout ? now_ms() + int64_t{*hook.timeout} * 1000 : -1;
    bool out_open = true;
    for (;;) {
        pollfd fds[2] = {{child.pidfd(), POLLIN, 0}, {out_open ? out_read.get() : -1, POLLIN, 0}};
        int timeout =
            deadline < 0 ? -1 : static_cast<int>(std::max<int64_t>(0, deadline - now_ms()));
        int n = ::poll(fds, 2, timeout);
        if (n < 0 && errno != EINTR) return fail_errno(what + ": poll");
        if (n == 0) {
            (void)child.signal(SIGKILL);
            (void)child.wait();
            return fail(ErrorKind::Unavailable,
                        what + ": timed out after " + std::to_string(*hook.timeout) + "s");
        }
        if (out_open && (fds[1].revents & (POLLIN | POLLHUP))) {
            char buf[4096];
            ssize_t r = ::read(out_read.get(), buf, sizeof buf);
            if (r > 0) {
                output.append(buf, static_cast<size_t>(r));
            } else {
                out_open = false;
            }
        }
        if ((fds[0].revents & POLLIN) && !out_open) break;
        if ((fds[0].revents & POLLIN) && out_open) {
            // Exited: whatever is left in the pipe is read without waiting (a grandchild may hold
            // the write end open).
            int flags = ::fcntl(out_read.get(), F_GETFL);
            ::fcntl(out_read.get(), F_SETFL, flags | O_NONBLOCK);
            char buf[4096];
            ssize_t r;
            while ((r = ::read(out_read.get(), buf, sizeof buf)) > 0)
                output.append(buf, static_cast<size_t>(r));
            break;
        }
    }
    int status = TRY_CTX(child.wait(), what);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status));
    std::string text = trimmed(output);
    return fail(ErrorKind::Internal, what + ": " + why + (text.empty() ? "" : ": " + text));
}

}  // namespace

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const Json& state,
                       std::string_view point) {
    std::string text = state.dump();
    for (const auto& hook : hooks)
        TRY(run_hook(hook, text, point));
    return {};
}

std::vector<Error> run_every_hook(const std::vector<oci::Hook>& hooks, const Json& state,
                                  std::string_view point) {
    std::vector<Error> failures;
    std::string text = state.dump();
    for (const auto& hook : hooks)
        if (auto r = run_hook(hook, text, point); !r) failures.push_back(std::move(r).error());
    return failures;
}

}  // namespace berth::runtime
