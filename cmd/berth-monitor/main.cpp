// berth-monitor: one per running container (and one per exec), spawned by berthd. See
// src/monitor/container_monitor.h.
#include <sys/prctl.h>

#include <cstdio>
#include <cstring>

#include "monitor/container_monitor.h"
#include "monitor/zygote.h"
#include "runtime/self_protect.h"

int main(int argc, char** argv) {
    bool known = (argc == 3 &&
                  (std::strcmp(argv[1], "container") == 0 || std::strcmp(argv[1], "exec") == 0)) ||
                 (argc == 4 && std::strcmp(argv[1], "zygote") == 0);
    if (known) {
        // Our clones become containers' inits and exec'd processes: run from a copy of this
        // binary that they cannot write (berthd starts us from one; anything else gets one here).
        if (auto r = berth::runtime::ensure_running_from_sealed_copy(argv, "berth-monitor"); !r) {
            std::fprintf(stderr, "berth-monitor: %s\n", r.error().message().c_str());
            return 1;
        }
        // Executed as /proc/self/fd/N, the kernel named us "N".
        ::prctl(PR_SET_NAME, "berth-monitor");
    }
    if (argc == 3 && std::strcmp(argv[1], "container") == 0)
        return berth::monitor::run_container_monitor(argv[2]);
    if (argc == 3 && std::strcmp(argv[1], "exec") == 0)
        return berth::monitor::run_exec_monitor(argv[2]);
    if (argc == 4 && std::strcmp(argv[1], "zygote") == 0)
        return berth::monitor::run_monitor_zygote(argc, argv);
    std::fputs(
        "usage: berth-monitor container|exec DIR | zygote EXEC_ROOT PADDING (started by "
        "berthd)\n",
        stderr);
    return 2;
}
