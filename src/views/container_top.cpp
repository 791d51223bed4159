#include "views/container_top.h"

#include <algorithm>
#include <span>
#include <unordered_set>

#include "base/child_process.h"
#include "base/parse_int.h"

namespace berth::views {

namespace {

// Go's strings.FieldsFunc on ASCII white space only, as dockerd splits ps output: a UTF-8 command
// line may hold bytes that other definitions of white space would split on.
bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '\v';
}

std::vector<std::string_view> fields_ascii(std::string_view line) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_ascii_space(line[i]))
            ++i;
        size_t start = i;
        while (i < line.size() && !is_ascii_space(line[i]))
            ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

std::string join(std::span<const std::string_view> parts, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) out += sep;
        out += parts[i];
    }
    return out;
}

}  // namespace

Result<std::string> run_host_ps(const std::vector<std::string>& argv) {
    return run_and_capture(argv);
}

Result<void> validate_ps_args(std::string_view ps_args) {
    // dockerd's rule: every "<white space>KEY=[white space]PID..." must have KEY "pid".
    auto tokens_at = [&](size_t pos) {
        std::vector<std::pair<size_t, std::string_view>> out;  // (offset, token)
        size_t i = pos;
        while (i < ps_args.size()) {
            while (i < ps_args.size() && is_ascii_space(ps_args[i]))
                ++i;
            size_t start = i;
            while (i < ps_args.size() && !is_ascii_space(ps_args[i]))
                ++i;
            if (i > start) out.emplace_back(start, ps_args.substr(start, i - start));
        }
        return out;
    };
    auto tokens = tokens_at(0);
    for (size_t t = 0; t < tokens.size(); ++t) {
        auto [offset, token] = tokens[t];
        if (offset == 0) continue;  // the pattern needs white space before the key
        // The key is greedy: the last '=' that is followed (maybe after white space) by "PID".
        for (size_t eq = token.rfind('='); eq != std::string_view::npos;
             eq = eq == 0 ? std::string_view::npos : token.rfind('=', eq - 1)) {
            std::string_view rest = token.substr(eq + 1);
            std::string_view value;
            if (!rest.empty() && rest.starts_with("PID")) {
                value = rest;
            } else if (rest.empty() && t + 1 < tokens.size() &&
                       tokens[t + 1].second.starts_with("PID")) {
                value = tokens[t + 1].second;
            } else {
                continue;
            }
            std::string_view key = token.substr(0, eq);
            if (key != "pid")
                return fail(ErrorKind::InvalidArgument, "specifying \"" + std::string(key) + "=" +
                                                            std::string(value) +
                                                            "\" is not allowed");
            break;
        }
    }
    return {};
}

Result<Json> parse_ps_output(std::string_view output, const std::vector<pid_t>& pids) {
    std::unordered_set<pid_t> wanted(pids.begin(), pids.end());
    size_t line_end = output.find('\n');
    std::string_view header = output.substr(0, line_end);
    auto titles = fields_ascii(header);
    auto pid_it = std::find(titles.begin(), titles.end(), std::string_view("PID"));
    if (pid_it == titles.end())
        return fail(ErrorKind::InvalidArgument, "Couldn't find PID field in ps output");
    size_t pid_index = static_cast<size_t>(pid_it - titles.begin());

    Json title_json = Json::array();
    for (auto title : titles)
        title_json.push_back(std::string(title));
    Json processes = Json::array();
    // A line with more fields than titles (a CMD with spaces) folds the overhang into the last.
    auto append = [&](const std::vector<std::string_view>& fields) {
        Json row = Json::array();
        size_t last = titles.size() - 1;
        for (size_t i = 0; i < last && i < fields.size(); ++i)
            row.push_back(std::string(fields[i]));
        if (fields.size() > last) {
            row.push_back(join(std::span(fields).subspan(last), " "));
        }
        processes.push_back(std::move(row));
    };

    bool previous_kept = false;  // thread lines ("-" as PID) belong to the process above them
    size_t pos = line_end == std::string_view::npos ? output.size() : line_end + 1;
    while (pos < output.size()) {
        size_t end = output.find('\n', pos);
        if (end == std::string_view::npos) end = output.size();
        std::string_view line = output.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) continue;
        auto fields = fields_ascii(line);
        if (fields.size() <= pid_index) continue;  // not a process line
        std::string_view pid_text = fields[pid_index];
        if (pid_text == "-") {
            if (previous_kept) append(fields);
            continue;
        }
        auto pid = parse_int<pid_t>(pid_text);
        if (!pid)
            return fail(ErrorKind::Internal,
                        "Unexpected pid '" + std::string(pid_text) + "' in ps output");
        previous_kept = wanted.contains(*pid);
        if (previous_kept) append(fields);
    }
    return Json{{"Titles", std::move(title_json)}, {"Processes", std::move(processes)}};
}

Result<Json> container_top(const std::vector<pid_t>& pids, std::string_view ps_args,
                           const PsRunner& run) {
    if (ps_args.empty()) ps_args = "-ef";
    TRY(validate_ps_args(ps_args));
    std::vector<std::string> argv{"ps"};
    for (auto field : fields_ascii(ps_args))
        argv.emplace_back(field);
    std::string only = "-q";
    for (size_t i = 0; i < pids.size(); ++i) {
        if (i > 0) only += ',';
        only += std::to_string(pids[i]);
    }
    // With no pid at all, "-q" alone would be an error: list everything and keep nothing.
    std::vector<std::string> with_pids = argv;
    if (!pids.empty()) with_pids.push_back(only);
    auto output = run(with_pids);
    if (!output && !pids.empty()) output = run(argv);  // options like "f" refuse -q
    if (!output) return fail(std::move(output).error().context("ps"));
    return parse_ps_output(*output, pids);
}

}  // namespace berth::views
