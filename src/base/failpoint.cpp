#include "base/failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth {

bool failpoint_list_names(std::string_view list, std::string_view name) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view entry = list.substr(0, comma);
        if (entry == name) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

void failpoint(std::string_view name) {
    // Read at each call (no cached global): a test sets it per process, and reading it costs one
    // getenv on paths that are not hot.
    const char* list = std::getenv("BERTH_FAILPOINT");
    if (list == nullptr || !failpoint_list_names(list, name)) return;
    std::string line = "berth failpoint " + std::string(name) + ": SIGKILL\n";
    // One write, so the line is whole in a log shared with other threads.
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    ::raise(SIGKILL);
    ::_exit(137);  // not reached: SIGKILL cannot be caught
}

}  // namespace berth
