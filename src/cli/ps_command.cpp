// berth ps / container ls: docker's columns, filters, --format fields and sizes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <regex>

#include "base/byte_size.h"
#include "cli/container_commands.h"
#include "cli/human.h"
#include "cli/list_output.h"

namespace berth::cli {
namespace {

struct PsOptions {
    bool all = false, quiet = false, latest = false, no_trunc = false, size = false;
    int last = -1;
    std::vector<std::string> filters;
    std::string format;
};

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (auto& part : parts)
        out += (out.empty() ? "" : separator) + part;
    return out;
}

std::string ports_text(const Json& ports) {
    std::vector<std::string> out;
    if (!ports.is_array()) return "";
    for (auto& port : ports) {
        std::string type = port.value("Type", "tcp");
        std::string text = std::to_string(port.value("PrivatePort", 0)) + "/" + type;
        if (port.contains("PublicPort") && port.value("PublicPort", 0) != 0)
            text = port.value("IP", "") + ":" + std::to_string(port.value("PublicPort", 0)) + "->" +
                   text;
        out.push_back(text);
    }
    return join(out, ", ");
}

// One row with the fields docker's container formatter has (all strings, as it prints them).
Json container_row(const Json& c, const PsOptions& options, int64_t now) {
    bool trunc = !options.no_trunc;
    std::vector<std::string> names;
    for (auto& name : c["Names"]) {
        std::string n = name.get<std::string>();
        if (n.starts_with("/")) n.erase(0, 1);
        if (n.find('/') != std::string::npos && trunc) continue;  // a link's name
        names.push_back(n);
    }
    std::string image = c.value("Image", "");
    if (trunc && image.starts_with("sha256:")) image = short_id(image);
    std::string command = c.value("Command", "");
    if (trunc) command = ellipsis(command, 20);
    int64_t created = c.value("Created", int64_t{0});
    std::vector<std::string> labels;
    Json label_map = c.contains("Labels") && c["Labels"].is_object() ? c["Labels"] : Json::object();
    for (auto& [key, value] : label_map.items())
        labels.push_back(key + "=" + value.get<std::string>());
    std::vector<std::string> mounts;
    int local_volumes = 0;
    if (c.contains("Mounts") && c["Mounts"].is_array())
        for (auto& mount : c["Mounts"]) {
            std::string name = mount.value("Name", "");
            if (name.empty()) name = mount.value("Source", "");
            if (trunc) name = ellipsis(name, 15);
            mounts.push_back(name);
            if (mount.value("Driver", "") == "local") ++local_volumes;
        }
    std::vector<std::string> networks;
    if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object() &&
        c["NetworkSettings"]["Networks"].is_object())
        for (auto& [name, _] : c["NetworkSettings"]["Networks"].items())
            networks.push_back(name);
    std::string size = human_size(c.value("SizeRw", 0.0));
    if (c.value("SizeRootFs", int64_t{0}) > 0)
        size += " (virtual " + human_size(c.value("SizeRootFs", 0.0)) + ")";
    return {{"Command", go_quote(command)},
            {"CreatedAt", go_time_utc(created)},
            {"ID", short_id(c.value("Id", ""), !trunc)},
            {"Image", image},
            {"Labels", join(labels, ",")},
            {"LabelsMap", label_map},
            {"LocalVolumes", std::to_string(local_volumes)},
            {"Mounts", join(mounts, ",")},
            {"Names", join(names, ",")},
            {"Networks", join(networks, ",")},
            {"Platform", nullptr},
            {"Ports", ports_text(c["Ports"])},
            {"RunningFor", time_ago(created, now)},
            {"Size", size},
            {"State", c.value("State", "")},
            {"Status", c.value("Status", "")}};
}

// `.Label "key"` is a method of docker's formatter; rows carry the labels as a map instead.
std::string rewrite_label_calls(const std::string& format) {
    static const std::regex label_call(R"(\.Label\s+("(?:[^"\\]|\\.)*"))");
    return std::regex_replace(format, label_call, "(or (index .LabelsMap $1) \"\")");
}

Result<void> list_containers(CliContext& context, const PsOptions& options) {
    auto* client = TRY(context.client());
    Json filters = Json::object();
    for (auto& filter : options.filters) {
        auto eq = filter.find('=');
        if (eq == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "bad format of filter (expected name=value)");
        filters[filter.substr(0, eq)][filter.substr(eq + 1)] = true;
    }
    bool wants_size = options.size || options.format.find(".Size") != std::string::npos;
    int limit = options.latest ? 1 : options.last;
    client::Query query;
    query.add_if(options.all, "all", "1")
        .add_if(limit > 0, "limit", std::to_string(limit))
        .add_if(wants_size, "size", "1")
        .add_if(!filters.empty(), "filters", filters.dump());
    Json containers = TRY(client->call("GET", "/containers/json" + query.str()));
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<Json> rows;
    for (auto& c : containers)
        rows.push_back(container_row(c, options, now));
    std::string table =
        "table "
        "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (options.size) table += "\t{{.Size}}";
    std::string format = options.quiet ? "{{.ID}}" : rewrite_label_calls(options.format);
    if (format == "json") format = "{{json .}}";
    // {{json .}} shows docker's fields only.
    if (format.find("json .}}") != std::string::npos)
        for (auto& row : rows)
            row.erase("LabelsMap");
    ListFormat list{.user_format = format,
                    .default_table = table,
                    .headers = {{"ID", "CONTAINER ID"},
                                {"Image", "IMAGE"},
                                {"Command", "COMMAND"},
                                {"CreatedAt", "CREATED AT"},
                                {"RunningFor", "CREATED"},
                                {"Ports", "PORTS"},
                                {"State", "STATE"},
                                {"Status", "STATUS"},
                                {"Size", "SIZE"},
                                {"Names", "NAMES"},
                                {"Labels", "LABELS"},
                                {"LabelsMap", "LABEL"},
                                {"Mounts", "MOUNTS"},
                                {"Networks", "NETWORKS"},
                                {"LocalVolumes", "LOCAL VOLUMES"},
                                {"Platform", "PLATFORM"}}};
    print(TRY(format_list(rows, list)));
    return {};
}

}  // namespace

void add_ps_commands(const CommandGroups& groups, CliContext& context) {
    auto options = std::make_shared<PsOptions>();
    for (auto* command : groups.add({{groups.app, "ps"}, {groups.container, "ls", {"list", "ps"}}},
                                    "List containers")) {
        command->add_flag("-a,--all", options->all,
                          "Show all containers (default shows just running)");
        command->add_flag("-q,--quiet", options->quiet, "Only display container IDs");
        command->add_flag("-l,--latest", options->latest,
                          "Show the latest created container (includes all states)");
        command->add_option("-n,--last", options->last,
                            "Show n last created containers (includes all states)");
        command->add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
        command->add_flag("-s,--size", options->size, "Display total file sizes");
        command
            ->add_option("-f,--filter", options->filters,
                         "Filter output based on conditions provided")
            ->allow_extra_args(false);
        command->add_option("--format", options->format, "Format output using a custom template");
        command->callback([&context, options] {
            guarded(context, [&] { return list_containers(context, *options); });
        });
    }
}

}  // namespace berth::cli
