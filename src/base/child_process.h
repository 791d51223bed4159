// ChildProcess owns a child: unless it was waited for or released, the destructor kills it with
// SIGKILL and reaps it, so no error path leaves a stray process behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

class ChildProcess {
  public:
    ChildProcess() = default;
    ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    bool running() const { return pid_ > 0; }

    // Blocks until the child exits; returns its wait status (see WIFEXITED & co).
    Result<int> wait();
    // Reaps the child if it has exited; nullopt-like -1 while it runs.
    Result<int> try_wait();
    Result<void> signal(int sig) const;
    // Lets the child live on unsupervised; returns its pid.
    pid_t release();

  private:
    void kill_and_reap();

    pid_t pid_ = -1;
    UniqueFd pidfd_;
};

// The exit code a shell would report for a wait status: the code, or 128 + signal.
int exit_code_of(int wait_status);

struct SpawnOptions {
    std::vector<std::string> env;  // empty: inherit
    std::string cwd;
    int stdin_fd = -1;       // -1: inherit
    int stdout_fd = -1;      // -1: inherit
    int stderr_fd = -1;      // -1: inherit
    std::string executable;  // the file to run; empty: argv[0]
};

// fork + exec of `executable` or argv[0] (looked up in PATH when it has no '/').
Result<ChildProcess> spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

// Runs argv to completion, feeding `input` to its stdin; returns its wait status.
Result<int> run_with_input(const std::vector<std::string>& argv, const std::string& input,
                           const SpawnOptions& options = {});

// Runs argv to completion and returns what it wrote to stdout. A non-zero exit is an error that
// quotes the last line the program wrote to stderr (stderr is captured when options leave it
// inherited).
Result<std::string> run_and_capture(const std::vector<std::string>& argv,
                                    const SpawnOptions& options = {});

}  // namespace berth
