#include "runtime/cgroups/cgroup_tree.h"

#include <ctime>

#include "base/fs.h"
#include "base/parse_int.h"

namespace berth::runtime::cgroups {

void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

Result<void> make_cgroup_dirs(CgroupIo& io, const std::string& top, const std::string& dir) {
    std::string clean_top = clean_path(top), clean_dir = clean_path(dir);
    if (clean_dir == clean_top) return {};
    if (clean_dir.compare(0, clean_top.size(), clean_top) != 0 ||
        clean_dir[clean_top.size()] != '/')
        return fail(ErrorKind::InvalidArgument, "cgroup " + dir + " is not below " + top);
    size_t pos = clean_top.size();
    while (pos != std::string::npos) {
        pos = clean_dir.find('/', pos + 1);
        TRY(io.make_dir(clean_dir.substr(0, pos)));
    }
    return {};
}

Result<void> join_cgroup(CgroupIo& io, const std::string& dir, pid_t pid) {
    std::string procs = join_path(dir, "cgroup.procs");
    for (int attempt = 0;; ++attempt) {
        auto written = io.write(procs, std::to_string(pid));
        if (written) return {};
        if (written.error().sys_errno() != EINVAL || attempt == 4)
            return fail(std::move(written).error().context("add process " + std::to_string(pid)));
        sleep_ms(30);
    }
}

Result<std::vector<pid_t>> cgroup_pids_recursive(CgroupIo& io, const std::string& dir) {
    std::vector<pid_t> out;
    auto text = TRY(read_optional(io, join_path(dir, "cgroup.procs")));
    if (!text) {
        if (!io.exists(dir)) return out;
        return fail(ErrorKind::NotFound, join_path(dir, "cgroup.procs") + ": no such file");
    }
    std::string_view rest = *text;
    while (!rest.empty()) {
        size_t eol = rest.find('\n');
        std::string_view line = trim(rest.substr(0, eol));
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        if (line.empty()) continue;
        auto pid = parse_int<pid_t>(line);
        if (!pid)
            return fail(ErrorKind::Internal,
                        join_path(dir, "cgroup.procs") + ": bad pid \"" + std::string(line) + "\"");
        out.push_back(*pid);
    }
    for (const auto& child : TRY(io.child_dirs(dir))) {
        auto below = TRY(cgroup_pids_recursive(io, join_path(dir, child)));
        out.insert(out.end(), below.begin(), below.end());
    }
    return out;
}

Result<void> remove_cgroup_tree(CgroupIo& io, const std::string& dir) {
    if (!io.exists(dir)) return {};
    for (const auto& child : TRY(io.child_dirs(dir)))
        TRY(remove_cgroup_tree(io, join_path(dir, child)));
    int delay = 1;
    for (int attempt = 0;; ++attempt) {
        auto removed = io.remove_dir(dir);
        if (removed) return {};
        if (removed.error().sys_errno() != EBUSY || attempt == 10) return removed;
        sleep_ms(delay);
        delay = std::min(delay * 2, 200);
    }
}

}  // namespace berth::runtime::cgroups
