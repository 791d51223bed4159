// berth logs: the container's log through GET /containers/{id}/logs, demultiplexed unless the
// container has a TTY.
#include <CLI/CLI.hpp>
#include <chrono>

#include "cli/attach_session.h"
#include "cli/container_commands.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

struct LogsOptions {
    std::string container, since, until, tail = "all";
    bool follow = false, timestamps = false, details = false;
};

int64_t now_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<void> show_logs(CliContext& context, const LogsOptions& options) {
    auto* client = TRY(context.client());
    std::string path = "/containers/" + client::url_escape(options.container);
    Json info = TRY(client->call("GET", path + "/json"));
    client::Query query;
    query.add("stdout", "1").add("stderr", "1");
    if (!options.since.empty()) query.add("since", TRY(api_timestamp(options.since, now_nanos())));
    if (!options.until.empty()) query.add("until", TRY(api_timestamp(options.until, now_nanos())));
    query.add_if(options.timestamps, "timestamps", "1")
        .add_if(options.follow, "follow", "1")
        .add("tail", options.tail)
        .add_if(options.details, "details", "1");
    auto body = TRY(client->stream("GET", path + "/logs" + query.str()));
    return copy_output(*body, info["Config"].value("Tty", false));
}

}  // namespace

void add_logs_commands(const CommandGroups& groups, CliContext& context) {
    auto options = std::make_shared<LogsOptions>();
    for (auto* command : container_command(groups, "logs", "Fetch the logs of a container")) {
        command->add_flag("-f,--follow", options->follow, "Follow log output");
        command->add_option("-n,--tail", options->tail,
                            "Number of lines to show from the end of the logs");
        command->add_flag("-t,--timestamps", options->timestamps, "Show timestamps");
        command->add_option("--since", options->since,
                            "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative "
                            "(e.g. \"42m\" for 42 minutes)");
        command->add_option("--until", options->until,
                            "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or "
                            "relative (e.g. \"42m\" for 42 minutes)");
        command->add_flag("--details", options->details, "Show extra details provided to logs");
        command->add_option("container", options->container, "Container")->required();
        command->callback([&context, options] {
            guarded(context, [&] { return show_logs(context, *options); });
        });
    }
}

}  // namespace berth::cli
