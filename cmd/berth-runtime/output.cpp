#include "output.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/child_process.h"
#include "base/json.h"
#include "base/parse_int.h"

namespace berth::runtime_cmd {
namespace {

// Columns padded to their widest cell plus three spaces, as runc prints its tables.
std::string left_pad_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows)
        for (size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 3, ' ');
        }
        out += '\n';
    }
    return out;
}

}  // namespace

Result<void> print_list(runtime::Runtime& runtime, const std::string& format, bool quiet) {
    auto states = TRY(runtime.list());
    if (quiet) {
        for (const auto& s : states)
            std::printf("%s\n", s["id"].get<std::string>().c_str());
        return {};
    }
    if (format == "json") {
        std::printf("%s\n", Json(states).dump().c_str());
        return {};
    }
    if (format != "table")
        return fail(ErrorKind::InvalidArgument,
                    "invalid format \"" + format + "\" (table or json)");
    std::vector<std::vector<std::string>> rows = {
        {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& s : states)
        rows.push_back({s["id"], std::to_string(s["pid"].get<int>()), s["status"], s["bundle"],
                        s["created"], "root"});
    std::fputs(left_pad_table(rows).c_str(), stdout);
    return {};
}

Result<void> print_ps(runtime::Runtime& runtime, const std::string& id, const std::string& format,
                      std::vector<std::string> ps_args) {
    auto pids = TRY(runtime.pids(id));
    if (format == "json") {
        std::printf("%s\n", Json(pids).dump().c_str());
        return {};
    }
    if (format != "table")
        return fail(ErrorKind::InvalidArgument,
                    "invalid format \"" + format + "\" (table or json)");
    if (ps_args.empty()) ps_args = {"-ef"};
    ps_args.insert(ps_args.begin(), "ps");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno("pipe");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    SpawnOptions options;
    options.stdout_fd = write_end.get();
    auto child = TRY(spawn(ps_args, options));
    write_end.reset();
    std::string output;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(read_end.get(), buf, sizeof buf)) > 0)
        output.append(buf, static_cast<size_t>(n));
    auto status = TRY(child.wait());
    if (exit_code_of(status) != 0) return fail(ErrorKind::Internal, "ps failed");
    // Keep the header and the lines whose PID column is one of ours.
    std::istringstream lines(output);
    std::string line, header;
    std::getline(lines, header);
    std::istringstream header_words(header);
    std::string word;
    int pid_column = -1;
    for (int i = 0; header_words >> word; ++i)
        if (word == "PID") pid_column = i;
    if (pid_column < 0) return fail(ErrorKind::InvalidArgument, "ps output has no PID column");
    std::printf("%s\n", header.c_str());
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        for (int i = 0; words >> word; ++i) {
            if (i != pid_column) continue;
            auto pid = parse_int<pid_t>(word);
            if (pid && std::find(pids.begin(), pids.end(), *pid) != pids.end())
                std::printf("%s\n", line.c_str());
            break;
        }
    }
    return {};
}

Result<void> print_events(runtime::Runtime& runtime, const std::string& id, bool once,
                          int interval_ms) {
    if (once) {
        std::printf("%s\n", TRY(runtime.stats(id)).dump().c_str());
        return {};
    }
    uint64_t ooms = TRY(runtime.oom_kills(id));
    int64_t waited = interval_ms;
    constexpr int kPollMs = 100;  // how soon an OOM kill is reported
    for (;;) {
        // OOM kills first: the kill that ends the container must still be reported.
        if (auto now = runtime.oom_kills(id); now && *now > ooms) {
            ooms = *now;
            std::printf("%s\n", Json{{"type", "oom"}, {"id", id}}.dump().c_str());
            std::fflush(stdout);
        }
        auto state = runtime.state(id);
        if (!state || (*state)["status"] == "stopped") return {};
        if (waited >= interval_ms) {
            waited = 0;
            if (auto stats = runtime.stats(id)) {
                std::printf("%s\n", stats->dump().c_str());
                std::fflush(stdout);
            }
        }
        ::usleep(kPollMs * 1000);  // a poll interval, not a synchronisation
        waited += kPollMs;
    }
}

}  // namespace berth::runtime_cmd
