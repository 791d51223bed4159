// berth update (POST /containers/{id}/update) and berth commit (POST /commit), with docker's
// flags and output: update prints each updated container's name, then the daemon's warnings
// (on stdout, as docker does); commit prints the new image's ID.
#include <CLI/CLI.hpp>

#include "cli/container_commands.h"
#include "cli/container_config.h"

namespace berth::cli {
namespace {

using client::Query;
using client::url_escape;

struct UpdateOptions {
    std::vector<std::string> containers;
    std::string cpus, cpuset_cpus, cpuset_mems, memory, memory_reservation, memory_swap, restart;
    int64_t cpu_shares = 0, cpu_period = 0, cpu_quota = 0, blkio_weight = 0;
    std::optional<int64_t> pids_limit;
};

Result<Json> update_body(const UpdateOptions& o) {
    Json body = {
        {"BlkioWeight", o.blkio_weight},
        {"CpuShares", o.cpu_shares},
        {"CpuPeriod", o.cpu_period},
        {"CpuQuota", o.cpu_quota},
        {"CpusetCpus", o.cpuset_cpus},
        {"CpusetMems", o.cpuset_mems},
        {"NanoCpus", TRY(cpus_flag(o.cpus))},
        {"Memory", TRY(size_flag_value(o.memory, "-m, --memory"))},
        {"MemoryReservation", TRY(size_flag_value(o.memory_reservation, "--memory-reservation"))},
        {"MemorySwap", TRY(size_flag_value(o.memory_swap, "--memory-swap"))}};
    if (o.pids_limit) body["PidsLimit"] = *o.pids_limit;
    if (!o.restart.empty()) body["RestartPolicy"] = TRY(restart_policy_flag(o.restart));
    bool any = !o.restart.empty() || o.pids_limit;
    for (auto& [key, value] : body.items())
        any = any || (value.is_number() && value.get<int64_t>() != 0) ||
              (value.is_string() && !value.get<std::string>().empty());
    if (!any)
        return fail(ErrorKind::InvalidArgument,
                    "you must provide one or more flags when using this command");
    return body;
}

void run_update(CliContext& context, const UpdateOptions& options) {
    auto body = update_body(options);
    if (!body) return context.report(body.error());
    auto client = context.client();
    if (!client) return context.report(client.error());
    bool failed = false;
    std::string warnings;  // as docker: on stdout, after the names
    for (const auto& name : options.containers) {
        auto answer = (*client)->call("POST", "/containers/" + url_escape(name) + "/update", *body);
        if (!answer) {
            std::fprintf(stderr, "%s\n", answer.error().message().c_str());
            failed = true;
            continue;
        }
        Json list = answer->value("Warnings", Json::array());
        if (list.is_array())
            for (const auto& warning : list)
                if (warning.is_string()) warnings += warning.get<std::string>() + "\n";
        std::printf("%s\n", name.c_str());
    }
    std::fputs(warnings.c_str(), stdout);
    std::fflush(stdout);
    if (failed) context.exit_code = 1;
}

struct CommitOptions {
    std::vector<std::string> args;  // CONTAINER [REPOSITORY[:TAG]]
    std::string author, message;
    std::vector<std::string> changes;
    bool pause = true;
};

Result<void> run_commit(CliContext& context, const CommitOptions& o) {
    Query query;
    query.add("container", o.args.at(0));
    if (o.args.size() > 1) {
        // REPOSITORY[:TAG]: a tag is what follows the last ':' after the last '/'.
        const std::string& name = o.args[1];
        size_t colon = name.rfind(':');
        bool tagged = colon != std::string::npos &&
                      (name.rfind('/') == std::string::npos || colon > name.rfind('/'));
        query.add("repo", tagged ? name.substr(0, colon) : name);
        query.add_if(tagged, "tag", tagged ? name.substr(colon + 1) : "");
    }
    query.add_if(!o.message.empty(), "comment", o.message);
    query.add_if(!o.author.empty(), "author", o.author);
    for (const auto& change : o.changes)
        query.add("changes", change);
    query.add("pause", o.pause ? "1" : "0");
    auto client = TRY(context.client());
    Json answer = TRY(client->call("POST", "/commit" + query.str()));
    print(answer.value("Id", "") + "\n");
    return {};
}

}  // namespace

void add_update_commit_commands(const CommandGroups& groups, CliContext& context) {
    auto update = std::make_shared<UpdateOptions>();
    for (auto* c :
         container_command(groups, "update", "Update configuration of one or more containers")) {
        c->add_option("--blkio-weight", update->blkio_weight,
                      "Block IO (relative weight), between 10 and 1000, or 0 to disable");
        c->add_option("--cpu-period", update->cpu_period,
                      "Limit CPU CFS (Completely Fair Scheduler) period");
        c->add_option("--cpu-quota", update->cpu_quota,
                      "Limit CPU CFS (Completely Fair Scheduler) quota");
        c->add_option("-c,--cpu-shares", update->cpu_shares, "CPU shares (relative weight)");
        c->add_option("--cpus", update->cpus, "Number of CPUs");
        c->add_option("--cpuset-cpus", update->cpuset_cpus, "CPUs in which to allow execution");
        c->add_option("--cpuset-mems", update->cpuset_mems, "MEMs in which to allow execution");
        c->add_option("-m,--memory", update->memory, "Memory limit");
        c->add_option("--memory-reservation", update->memory_reservation, "Memory soft limit");
        c->add_option("--memory-swap", update->memory_swap,
                      "Swap limit equal to memory plus swap: -1 to enable unlimited swap");
        c->add_option("--pids-limit", update->pids_limit,
                      "Tune container pids limit (set -1 for unlimited)");
        c->add_option("--restart", update->restart,
                      "Restart policy to apply when a container exits");
        c->add_option("container", update->containers, "Container")->required();
        c->callback([&context, update] { run_update(context, *update); });
    }

    auto commit = std::make_shared<CommitOptions>();
    for (auto* c :
         container_command(groups, "commit", "Create a new image from a container's changes")) {
        c->add_option("-a,--author", commit->author,
                      "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
        c->add_option("-c,--change", commit->changes,
                      "Apply Dockerfile instruction to the created image")
            ->allow_extra_args(false);
        c->add_option("-m,--message", commit->message, "Commit message");
        c->add_flag("-p,--pause", commit->pause, "Pause container during commit (default true)");
        c->add_option("container", commit->args, "CONTAINER [REPOSITORY[:TAG]]")
            ->required()
            ->expected(1, 2);
        c->callback(
            [&context, commit] { guarded(context, [&] { return run_commit(context, *commit); }); });
    }
}

}  // namespace berth::cli
