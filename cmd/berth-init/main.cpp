// berth-init: the init process of containers run with --init (docker-init's job).
//
//   berth-init [-g] [--] PROGRAM [ARGS...]
//
// As PID 1 it runs PROGRAM as its child and
//  * forwards every signal it can catch to the child (-g: to the child's process group), so a
//    program that never expected to be PID 1 still gets SIGTERM from `docker stop`;
//  * reaps every process that ends up its child: orphans are reparented to PID 1, and zombies
//    would otherwise fill the process table. Outside PID 1 it makes itself a child subreaper so
//    that the same holds;
//  * exits with the child's status: its exit code, or 128 + the signal that killed it.
// The child runs in its own process group, which owns the terminal when there is one, so that
// job control and ^C reach it as they would in a shell.
//
// Plain system calls and no stdio: it is linked statically and bind-mounted into containers.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif

namespace {

void say(const char* text) {
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, text, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        text += n;
        left -= static_cast<size_t>(n);
    }
}

void say_error(const char* what, const char* detail) {
    say("berth-init: ");
    say(what);
    if (detail) {
        say(": ");
        say(detail);
    }
    say("\n");
}

// Signals that report a fault of this process itself: they cannot be waited for, and blocking
// them would hide a crash. SIGTTIN/SIGTTOU are left alone so that handing the terminal to the
// child (tcsetpgrp from a background group) does not stop us.
bool is_synchronous(int sig) {
    switch (sig) {
        case SIGFPE:
        case SIGILL:
        case SIGSEGV:
        case SIGBUS:
        case SIGABRT:
        case SIGTRAP:
        case SIGSYS:
        case SIGTTIN:
        case SIGTTOU:
            return true;
        default:
            return false;
    }
}

int exit_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

// Signals a parent left ignored (a shell's background job ignores SIGINT and SIGQUIT) would be
// dropped before sigwaitinfo saw them: berth-init takes them back, and gives its child the
// dispositions it was started with, as if it had been started directly.
struct Dispositions {
    bool ignored[NSIG] = {};
};

void take_ignored_signals(const sigset_t& waited, Dispositions& inherited) {
    for (int sig = 1; sig < NSIG; ++sig) {
        if (!::sigismember(&waited, sig) || sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction current {};
        if (::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
            inherited.ignored[sig] = true;
            ::signal(sig, SIG_DFL);
        }
    }
}

[[noreturn]] void run_child(char** argv, const sigset_t& original_mask,
                            const Dispositions& inherited) {
    for (int sig = 1; sig < NSIG; ++sig)
        if (inherited.ignored[sig]) ::signal(sig, SIG_IGN);
    // Its own process group, in front on the terminal if there is one.
    ::setpgid(0, 0);
    if (::isatty(STDIN_FILENO)) {
        ::signal(SIGTTOU, SIG_IGN);
        if (::tcsetpgrp(STDIN_FILENO, ::getpgrp()) != 0 && errno != ENOTTY && errno != ENXIO)
            say_error("give the terminal to the child", strerror(errno));
        ::signal(SIGTTOU, SIG_DFL);
    }
    ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    ::execvp(argv[0], argv);
    int err = errno;
    say_error(argv[0], strerror(err));
    // The shell's convention, which docker follows for a command that cannot run.
    ::_exit(err == ENOENT ? 127 : 126);
}

void usage() {
    say("usage: berth-init [-g] [--] PROGRAM [ARGS...]\n"
        "  Runs PROGRAM as its child: forwards signals to it, reaps zombies and exits with its\n"
        "  status.\n"
        "  -g  forward signals to the child's process group instead of the child alone\n");
}

// The options before PROGRAM: -g, --version, --help. The index of PROGRAM in argv, or a negative
// exit status when there is nothing to run (-status: 0 after --version/--help, 2 on bad usage).
int parse_options(int argc, char** argv, bool& to_group) {
    int first = 1;
    for (; first < argc; ++first) {
        const char* arg = argv[first];
        if (strcmp(arg, "--") == 0) {
            ++first;
            break;
        }
        if (strcmp(arg, "-g") == 0) {
            to_group = true;
        } else if (strcmp(arg, "--version") == 0 || strcmp(arg, "-v") == 0) {
            // Docker's `info` asks its init binary for a version line.
            say("berth-init version " BERTH_VERSION "\n");
            return 0;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage();
            return 0;
        } else if (arg[0] == '-') {
            say_error("unknown option", arg);
            usage();
            return -2;
        } else {
            break;
        }
    }
    if (first >= argc) {
        usage();
        return -2;
    }
    return first;
}

// Forwards every signal but SIGCHLD to the child (or its group); reaps whatever exits, and
// returns the child's exit status once it has exited.
int forward_and_reap(pid_t child, bool to_group, const sigset_t& waited) {
    for (;;) {
        siginfo_t info;
        int sig = ::sigwaitinfo(&waited, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            say_error("wait for signals", strerror(errno));
            return 1;
        }
        if (sig != SIGCHLD) {
            // A child that is gone (ESRCH) is reaped at the next SIGCHLD.
            ::kill(to_group ? -child : child, sig);
            continue;
        }
        // One SIGCHLD may stand for many children: reap until none is left to reap.
        bool child_done = false;
        int status = 0;
        for (;;) {
            int reaped_status = 0;
            pid_t reaped = ::waitpid(-1, &reaped_status, WNOHANG);
            if (reaped <= 0) break;
            if (reaped == child) {
                child_done = true;
                status = reaped_status;
            }
        }
        if (child_done) return exit_status(status);
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool to_group = false;
    int first = parse_options(argc, argv, to_group);
    if (first <= 0) return -first;

    // Outside PID 1, orphans of the child would go to some other reaper: become theirs.
    if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        say_error("become a child subreaper", strerror(errno));

    // Every signal waits in the queue for sigwaitinfo below, none runs a handler; the child
    // gets the mask we were started with.
    sigset_t waited, original;
    ::sigfillset(&waited);
    for (int sig = 1; sig < NSIG; ++sig)
        if (is_synchronous(sig)) ::sigdelset(&waited, sig);
    ::sigprocmask(SIG_BLOCK, &waited, &original);
    Dispositions inherited;
    take_ignored_signals(waited, inherited);

    pid_t child = ::fork();
    if (child < 0) {
        say_error("fork", strerror(errno));
        return 1;
    }
    if (child == 0) run_child(argv + first, original, inherited);
    // Both sides set the group: whichever runs first, a signal forwarded to it finds it.
    ::setpgid(child, child);
    return forward_and_reap(child, to_group, waited);
}
