// berth stop, restart, kill, rm, pause, unpause, rename, wait, container prune.
#include <CLI/CLI.hpp>

#include "base/byte_size.h"
#include "cli/container_commands.h"

namespace berth::cli {
namespace {

using client::Query;
using client::url_escape;

// Runs `action` for each container; prints the name on success and each error on stderr, as
// docker does, and exits 1 when any failed.
void for_each_container(
    CliContext& context, const std::vector<std::string>& names,
    const std::function<Result<void>(client::DockerClient&, const std::string&)>& action,
    bool print_names = true, bool missing_is_ok = false) {
    auto client = context.client();
    if (!client) return context.report(client.error());
    bool failed = false;
    for (auto& name : names) {
        if (auto done = action(**client, name); !done) {
            std::fprintf(stderr, "%s\n", done.error().message().c_str());
            // rm -f: a container that is not there is already what was asked for.
            if (!(missing_is_ok && done.error().kind() == ErrorKind::NotFound)) failed = true;
            continue;
        }
        if (print_names) std::printf("%s\n", name.c_str());
    }
    std::fflush(stdout);
    if (failed) context.exit_code = 1;
}

Result<void> post(client::DockerClient& client, const std::string& path) {
    TRY(client.call("POST", path));
    return {};
}

struct StopOptions {
    std::vector<std::string> containers;
    std::optional<int> timeout;
    std::string signal;
};

std::string stop_query(const StopOptions& options) {
    Query query;
    if (options.timeout) query.add("t", std::to_string(*options.timeout));
    query.add_if(!options.signal.empty(), "signal", options.signal);
    return query.str();
}

void add_stop_like(const CommandGroups& groups, CliContext& context, const std::string& name,
                   const std::string& description) {
    auto options = std::make_shared<StopOptions>();
    for (auto* command : container_command(groups, name, description)) {
        command->add_option("-t,--time", options->timeout,
                            "Seconds to wait before killing the container");
        command->add_option("-s,--signal", options->signal, "Signal to send to the container");
        command->add_option("container", options->containers, "Container")->required();
        command->callback([&context, options, name] {
            for_each_container(context, options->containers, [&](auto& client, auto& container) {
                return post(client, "/containers/" + url_escape(container) + "/" + name +
                                        stop_query(*options));
            });
        });
    }
}

void add_kill_command(const CommandGroups& groups, CliContext& context) {
    auto kill_containers = std::make_shared<std::vector<std::string>>();
    auto kill_signal = std::make_shared<std::string>();
    for (auto* command : container_command(groups, "kill", "Kill one or more running containers")) {
        command->add_option("-s,--signal", *kill_signal, "Signal to send to the container");
        command->add_option("container", *kill_containers, "Container")->required();
        command->callback([&context, kill_containers, kill_signal] {
            for_each_container(context, *kill_containers, [&](auto& client, auto& container) {
                return post(
                    client,
                    "/containers/" + url_escape(container) + "/kill" +
                        Query().add_if(!kill_signal->empty(), "signal", *kill_signal).str());
            });
        });
    }
}

void add_remove_command(const CommandGroups& groups, CliContext& context) {
    struct RmOptions {
        std::vector<std::string> containers;
        bool force = false, volumes = false, link = false;
    };
    auto rm = std::make_shared<RmOptions>();
    for (auto* command : groups.add({{groups.app, "rm"}, {groups.container, "rm", {"remove"}}},
                                    "Remove one or more containers")) {
        command->add_flag("-f,--force", rm->force,
                          "Force the removal of a running container (uses SIGKILL)");
        command->add_flag("-v,--volumes", rm->volumes,
                          "Remove anonymous volumes associated with the container");
        command->add_flag("-l,--link", rm->link, "Remove the specified link");
        command->add_option("container", rm->containers, "Container")->required();
        command->callback([&context, rm] {
            for_each_container(
                context, rm->containers,
                [&](auto& client, auto& container) -> Result<void> {
                    TRY(client.call("DELETE", "/containers/" + url_escape(container) +
                                                  Query()
                                                      .add_if(rm->volumes, "v", "1")
                                                      .add_if(rm->link, "link", "1")
                                                      .add_if(rm->force, "force", "1")
                                                      .str()));
                    return {};
                },
                true, rm->force);
        });
    }
}

void add_pause_commands(const CommandGroups& groups, CliContext& context) {
    for (std::string action : {"pause", "unpause"}) {
        auto names = std::make_shared<std::vector<std::string>>();
        for (auto* command : container_command(
                 groups, action,
                 action == "pause" ? "Pause all processes within one or more containers"
                                   : "Unpause all processes within one or more containers")) {
            command->add_option("container", *names, "Container")->required();
            command->callback([&context, names, action] {
                for_each_container(context, *names, [&](auto& client, auto& container) {
                    return post(client, "/containers/" + url_escape(container) + "/" + action);
                });
            });
        }
    }
}

void add_rename_command(const CommandGroups& groups, CliContext& context) {
    auto rename_args = std::make_shared<std::vector<std::string>>();
    for (auto* command : container_command(groups, "rename", "Rename a container")) {
        command->add_option("container new-name", *rename_args, "CONTAINER NEW_NAME")
            ->required()
            ->expected(2);
        command->callback([&context, rename_args] {
            guarded(context, [&]() -> Result<void> {
                auto* client = TRY(context.client());
                std::string name = (*rename_args)[1];
                if (name.empty() || name == "/")
                    return fail(ErrorKind::InvalidArgument,
                                "Error: neither old nor new names may be empty");
                auto renamed = post(*client, "/containers/" + url_escape((*rename_args)[0]) +
                                                 "/rename" + Query().add("name", name).str());
                if (!renamed)
                    return fail(renamed.error().kind(),
                                renamed.error().message() +
                                    "\nError: failed to rename container named " +
                                    (*rename_args)[0]);
                return {};
            });
        });
    }
}

void add_wait_command(const CommandGroups& groups, CliContext& context) {
    auto wait_names = std::make_shared<std::vector<std::string>>();
    for (auto* command : container_command(
             groups, "wait",
             "Block until one or more containers stop, then print their exit codes")) {
        command->add_option("container", *wait_names, "Container")->required();
        command->callback([&context, wait_names] {
            for_each_container(
                context, *wait_names,
                [&](auto& client, auto& container) -> Result<void> {
                    Json result =
                        TRY(client.call("POST", "/containers/" + url_escape(container) + "/wait"));
                    std::printf("%d\n", result.value("StatusCode", 0));
                    return {};
                },
                false);
        });
    }
}

void add_prune_command(const CommandGroups& groups, CliContext& context) {
    auto prune_force = std::make_shared<bool>(false);
    auto prune_filters = std::make_shared<std::vector<std::string>>();
    for (auto* prune : groups.add({{groups.container, "prune"}}, "Remove all stopped containers")) {
        prune->add_flag("-f,--force", *prune_force, "Do not prompt for confirmation");
        prune
            ->add_option("--filter", *prune_filters,
                         "Provide filter values (e.g. \"until=<timestamp>\")")
            ->allow_extra_args(false);
        prune->callback([&context, prune_force, prune_filters] {
            guarded(context, [&]() -> Result<void> {
                if (!*prune_force && !confirm("WARNING! This will remove all stopped containers."))
                    return {};
                auto* client = TRY(context.client());
                Json filters = Json::object();
                for (auto& filter : *prune_filters) {
                    auto eq = filter.find('=');
                    if (eq == std::string::npos)
                        return fail(ErrorKind::InvalidArgument,
                                    "bad format of filter (expected name=value)");
                    filters[filter.substr(0, eq)][filter.substr(eq + 1)] = true;
                }
                Json report = TRY(client->call(
                    "POST", "/containers/prune" +
                                Query().add_if(!filters.empty(), "filters", filters.dump()).str()));
                auto& deleted = report["ContainersDeleted"];
                if (deleted.is_array() && !deleted.empty()) {
                    std::printf("Deleted Containers:\n");
                    for (auto& id : deleted)
                        std::printf("%s\n", id.get<std::string>().c_str());
                    std::printf("\n");
                }
                std::printf("Total reclaimed space: %s\n",
                            human_size(report.value("SpaceReclaimed", 0.0)).c_str());
                return {};
            });
        });
    }
}

}  // namespace

void add_lifecycle_commands(const CommandGroups& groups, CliContext& context) {
    add_stop_like(groups, context, "stop", "Stop one or more running containers");
    add_stop_like(groups, context, "restart", "Restart one or more containers");
    add_kill_command(groups, context);
    add_remove_command(groups, context);
    add_pause_commands(groups, context);
    add_rename_command(groups, context);
    add_wait_command(groups, context);
    add_prune_command(groups, context);
}

}  // namespace berth::cli
