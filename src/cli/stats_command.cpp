// berth stats: docker's CPU %, memory, network and block I/O columns from the stats API.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>

#include "base/byte_size.h"
#include "cli/container_commands.h"
#include "cli/list_output.h"

namespace berth::cli {
namespace {

struct StatsOptions {
    std::vector<std::string> containers;
    bool all = false, no_stream = false, no_trunc = false;
    std::string format;
};

std::string percent(double value) {
    char out[32];
    std::snprintf(out, sizeof out, "%.2f%%", value);
    return out;
}

uint64_t number(const Json& object, std::initializer_list<const char*> path) {
    const Json* at = &object;
    for (auto* key : path) {
        if (!at->is_object() || !at->contains(key)) return 0;
        at = &(*at)[key];
    }
    return at->is_number() ? at->get<uint64_t>() : 0;
}

// One row from one stats sample, computed as docker's CLI does.
Json stats_row(const Json& s, const std::string& given, bool no_trunc) {
    double cpu = 0;
    double cpu_delta = static_cast<double>(number(s, {"cpu_stats", "cpu_usage", "total_usage"})) -
                       static_cast<double>(number(s, {"precpu_stats", "cpu_usage", "total_usage"}));
    double system_delta = static_cast<double>(number(s, {"cpu_stats", "system_cpu_usage"})) -
                          static_cast<double>(number(s, {"precpu_stats", "system_cpu_usage"}));
    double cpus = static_cast<double>(number(s, {"cpu_stats", "online_cpus"}));
    if (cpus == 0 && s["cpu_stats"]["cpu_usage"]["percpu_usage"].is_array())
        cpus = static_cast<double>(s["cpu_stats"]["cpu_usage"]["percpu_usage"].size());
    if (system_delta > 0 && cpu_delta > 0) cpu = cpu_delta / system_delta * cpus * 100;
    double usage = static_cast<double>(number(s, {"memory_stats", "usage"}));
    // Page cache is not the container's: v1 total_inactive_file, v2 inactive_file.
    double inactive =
        static_cast<double>(number(s, {"memory_stats", "stats", "total_inactive_file"}));
    if (inactive == 0)
        inactive = static_cast<double>(number(s, {"memory_stats", "stats", "inactive_file"}));
    if (inactive < usage) usage -= inactive;
    double limit = static_cast<double>(number(s, {"memory_stats", "limit"}));
    double rx = 0, tx = 0;
    if (s.contains("networks") && s["networks"].is_object())
        for (auto& [_, net] : s["networks"].items()) {
            rx += static_cast<double>(number(net, {"rx_bytes"}));
            tx += static_cast<double>(number(net, {"tx_bytes"}));
        }
    double read = 0, write = 0;
    const Json& blkio = s["blkio_stats"]["io_service_bytes_recursive"];
    if (blkio.is_array())
        for (auto& entry : blkio) {
            std::string op = entry.value("op", "");
            for (auto& c : op)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (op == "read") read += entry.value("value", 0.0);
            if (op == "write") write += entry.value("value", 0.0);
        }
    std::string name = s.value("name", "");
    if (name.starts_with("/")) name.erase(0, 1);
    std::string id = s.value("id", "");
    bool running = !s.value("read", "").starts_with("0001-01-01");
    return {{"Container", given.empty() ? short_id(id, no_trunc) : given},
            {"Name", name.empty() ? "--" : name},
            {"ID", short_id(id, no_trunc)},
            {"CPUPerc", running ? percent(cpu) : "--"},
            {"MemUsage", running ? binary_size(usage) + " / " + binary_size(limit) : "-- / --"},
            {"MemPerc", running ? percent(limit > 0 ? usage / limit * 100 : 0) : "--"},
            {"NetIO", running ? human_size(rx) + " / " + human_size(tx) : "--"},
            {"BlockIO", running ? human_size(read) + " / " + human_size(write) : "--"},
            {"PIDs", running ? std::to_string(number(s, {"pids_stats", "current"})) : "--"}};
}

Result<std::vector<Json>> sample(client::DockerClient& client, const StatsOptions& options) {
    std::vector<std::pair<std::string, std::string>> targets;  // {path name, as given}
    if (options.containers.empty()) {
        Json list = TRY(
            client.call("GET", std::string("/containers/json") + (options.all ? "?all=1" : "")));
        for (auto& c : list)
            targets.push_back({c.value("Id", ""), ""});
    } else {
        for (auto& name : options.containers)
            targets.push_back({name, name});
    }
    std::vector<Json> rows;
    for (auto& [target, given] : targets) {
        Json stats = TRY(
            client.call("GET", "/containers/" + client::url_escape(target) + "/stats?stream=0"));
        rows.push_back(stats_row(stats, given, options.no_trunc));
    }
    return rows;
}

Result<void> stats_command(CliContext& context, const StatsOptions& options) {
    auto* client = TRY(context.client());
    ListFormat list{.user_format = options.format,
                    .default_table =
                        "table "
                        "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}"
                        "\t{{.BlockIO}}\t{{.PIDs}}",
                    .headers = {{"Container", "CONTAINER"},
                                {"Name", "NAME"},
                                {"ID", "CONTAINER ID"},
                                {"CPUPerc", "CPU %"},
                                {"MemUsage", "MEM USAGE / LIMIT"},
                                {"MemPerc", "MEM %"},
                                {"NetIO", "NET I/O"},
                                {"BlockIO", "BLOCK I/O"},
                                {"PIDs", "PIDS"}}};
    if (options.no_stream) {
        print(TRY(format_list(TRY(sample(*client, options)), list)));
        return {};
    }
    // Streaming: redraw about once a second, as docker does, until interrupted.
    while (true) {
        std::string text = TRY(format_list(TRY(sample(*client, options)), list));
        if (::isatty(STDOUT_FILENO)) print("\033[2J\033[H");
        print(text);
        std::fflush(stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace

void add_stats_commands(const CommandGroups& groups, CliContext& context) {
    auto options = std::make_shared<StatsOptions>();
    for (auto* command : container_command(
             groups, "stats", "Display a live stream of container(s) resource usage statistics")) {
        command->add_flag("-a,--all", options->all,
                          "Show all containers (default shows just running)");
        command->add_flag("--no-stream", options->no_stream,
                          "Disable streaming stats and only pull the first result");
        command->add_flag("--no-trunc", options->no_trunc, "Do not truncate output");
        command->add_option("--format", options->format, "Format output using a custom template");
        command->add_option("container", options->containers, "Container");
        command->callback([&context, options] {
            guarded(context, [&] { return stats_command(context, *options); });
        });
    }
}

}  // namespace berth::cli
