// berth-monitor: one per running container (and one per exec), spawned by berthd. See
// src/monitor/container_monitor.h.
#include <cstdio>
#include <cstring>

#include "monitor/container_monitor.h"
#include "monitor/zygote.h"

int main(int argc, char** argv) {
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
