/* spawn_measure: runs one command from a small process and reports its wall time and peak RSS.
 *
 *   spawn_measure LOG TIMEOUT_MS CMD [ARG]...
 *
 * fork()s, and in the child points stdin at /dev/null and stdout+stderr at LOG (truncated), then
 * execvp()s CMD. The parent waits with wait4() and prints one line on its stdout:
 *
 *   <exit code, or -signal> <wall ns> <ru_maxrss KiB> <1 if killed on timeout, else 0>
 *
 * Wall time is CLOCK_MONOTONIC from just before fork() to wait4() returning. ru_maxrss is the child's:
 * the highest resident set of the child itself or of any descendant it reaped, in one process. A
 * forked child starts with its parent's resident set as high-water mark (and keeps it across exec),
 * which is why the command is spawned from this process and not from Python (~16 MiB): the floor
 * this adds is this launcher's own RSS, well under 1 MiB when linked statically.
 *
 * After TIMEOUT_MS (0 = never) the child gets SIGKILL. If this launcher dies, the child gets SIGKILL
 * too (PR_SET_PDEATHSIG), so a runtime never outlives the measurement. Exit status: 0 when a line was
 * printed, 2 on a usage or setup error (message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid = 0;
static volatile sig_atomic_t timed_out = 0;

static void on_alarm(int sig) {
    (void)sig;
    if (child_pid > 0) {
        timed_out = 1;
        kill(child_pid, SIGKILL);
    }
}

static long long ns(const struct timespec *t) { return (long long)t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s LOG TIMEOUT_MS CMD [ARG]...\n", argv[0]);
        return 2;
    }
    const char *log = argv[1];
    char *end = NULL;
    long timeout_ms = strtol(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || timeout_ms < 0) {
        fprintf(stderr, "spawn_measure: bad TIMEOUT_MS %s\n", argv[2]);
        return 2;
    }
    char **cmd = argv + 3;

    /* Opened before the clock starts; the child only dup2()s them. */
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        fprintf(stderr, "spawn_measure: /dev/null: %s\n", strerror(errno));
        return 2;
    }
    int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        fprintf(stderr, "spawn_measure: %s: %s\n", log, strerror(errno));
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: wait4 returns EINTR and is retried */
    pid_t parent = getpid();

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "spawn_measure: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        execvp(cmd[0], cmd);
        dprintf(2, "spawn_measure: exec %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    child_pid = pid;
    if (timeout_ms > 0) { /* armed once the pid is known, so the alarm always has a child to kill */
        struct itimerval it = {{0, 0}, {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};
        setitimer(ITIMER_REAL, &it, NULL);
    }

    int status = 0;
    struct rusage ru;
    for (;;) {
        pid_t r = wait4(pid, &status, 0, &ru);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "spawn_measure: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    if (timeout_ms > 0) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
    printf("%d %lld %ld %d\n", rc, ns(&t1) - ns(&t0), ru.ru_maxrss, timed_out ? 1 : 0);
    return fflush(stdout) == 0 ? 0 : 2;
}
