// berth inspect (containers and images), container inspect, top.
#include <CLI/CLI.hpp>

#include "cli/container_commands.h"
#include "cli/go_template.h"
#include "cli/list_output.h"
#include "cli/table_format.h"

namespace berth::cli {
namespace {

using client::url_escape;

size_t utf8_length(std::string_view text) {
    size_t count = 0;
    for (unsigned char c : text)
        if ((c & 0xc0) != 0x80) ++count;
    return count;
}

struct InspectOptions {
    std::vector<std::string> names;
    std::string format, type;
    bool size = false;
};

}  // namespace

Result<void> print_inspected(const std::vector<std::string>& raws, const std::string& format) {
    if (format.empty() || format == "json") {
        std::string array = "[";
        for (size_t i = 0; i < raws.size(); ++i)
            array += (i ? "," : "") + raws[i];
        print(json_indent(array + "]") + "\n");
        return {};
    }
    Template tmpl = TRY(Template::parse(parse_format(format).body));
    std::string text;
    for (auto& raw : raws)
        text += TRY(tmpl.render(TRY(parse_json(raw, "inspect")))) + "\n";
    print(text);
    return {};
}

namespace {

void inspect_command(CliContext& context, const InspectOptions& options,
                     const std::string& fixed_type) {
    auto client_or = context.client();
    if (!client_or) return context.report(client_or.error());
    auto& client = **client_or;
    std::string type = fixed_type.empty() ? options.type : fixed_type;
    if (!type.empty() && type != "container" && type != "image")
        return context.report(
            Error(ErrorKind::InvalidArgument, "\"" + type + "\" is not a valid value for --type"));
    std::vector<std::string> raws;
    std::vector<std::string> errors;
    for (auto& name : options.names) {
        std::optional<client::Response> found;
        std::optional<Error> error;
        if (type.empty() || type == "container") {
            auto response =
                client.request("GET", "/containers/" + url_escape(name) + "/json" +
                                          client::Query().add_if(options.size, "size", "1").str());
            if (!response) return context.report(response.error());
            if (response->ok())
                found = *response;
            else if (response->status != 404 || !type.empty())
                error = client::daemon_error(response->status, response->body);
        }
        if (!found && !error && (type.empty() || type == "image")) {
            auto response = client.request("GET", "/images/" + name + "/json");
            if (!response) return context.report(response.error());
            if (response->ok())
                found = *response;
            else if (response->status != 404 || !type.empty())
                error = client::daemon_error(response->status, response->body);
        }
        if (found) {
            std::string body = found->body;
            while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
                body.pop_back();
            raws.push_back(body);
        } else {
            errors.push_back(error ? error->message() : "Error: No such object: " + name);
        }
    }
    if (auto printed = print_inspected(raws, options.format); !printed) {
        std::fflush(stdout);
        return context.report(printed.error());
    }
    std::fflush(stdout);
    for (auto& message : errors)
        std::fprintf(stderr, "%s\n", message.c_str());
    if (!errors.empty()) context.exit_code = 1;
}

Result<void> top_command(CliContext& context, const std::vector<std::string>& args) {
    auto* client = TRY(context.client());
    client::Query query;
    if (args.size() > 1) {
        std::string ps_args;
        for (size_t i = 1; i < args.size(); ++i)
            ps_args += (i > 1 ? " " : "") + args[i];
        query.add("ps_args", ps_args);
    }
    Json top =
        TRY(client->call("GET", "/containers/" + url_escape(args[0]) + "/top" + query.str()));
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> titles;
    for (auto& title : top["Titles"])
        titles.push_back(title.get<std::string>());
    rows.push_back(titles);
    if (top["Processes"].is_array())
        for (auto& process : top["Processes"]) {
            std::vector<std::string> row;
            for (auto& cell : process)
                row.push_back(cell.get<std::string>());
            rows.push_back(row);
        }
    // docker top's tabwriter: columns at least 20 wide, 3 spaces of padding, last one unpadded.
    std::vector<size_t> widths;
    for (auto& row : rows)
        for (size_t i = 0; i + 1 < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(20);
            widths[i] = std::max(widths[i], utf8_length(row[i]) + 3);
        }
    std::string text;
    for (auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            text += row[i];
            if (i + 1 < row.size()) text += std::string(widths[i] - utf8_length(row[i]), ' ');
        }
        text += "\n";
    }
    print(text);
    return {};
}

}  // namespace

void add_inspect_commands(const CommandGroups& groups, CliContext& context) {
    auto options = std::make_shared<InspectOptions>();
    auto add_inspect_flags = [&](CLI::App* command) {
        command->add_option("-f,--format", options->format,
                            "Format output using a custom template");
        command->add_flag("-s,--size", options->size, "Display total file sizes");
        command->add_option("name", options->names, "Name or ID")->required();
    };
    for (auto* inspect :
         groups.add({{groups.app, "inspect"}}, "Return low-level information on Docker objects")) {
        inspect->add_option("--type", options->type, "Only inspect objects of the given type");
        add_inspect_flags(inspect);
        inspect->callback([&context, options] { inspect_command(context, *options, ""); });
    }
    for (auto* inspect : groups.add({{groups.container, "inspect"}},
                                    "Display detailed information on one or more containers")) {
        add_inspect_flags(inspect);
        inspect->callback([&context, options] { inspect_command(context, *options, "container"); });
    }

    auto top_args = std::make_shared<std::vector<std::string>>();
    for (auto* command :
         container_command(groups, "top", "Display the running processes of a container")) {
        command->add_option("container", *top_args, "CONTAINER [ps OPTIONS]")->required();
        command->positionals_at_end(true);
        command->callback([&context, top_args] {
            guarded(context, [&] { return top_command(context, *top_args); });
        });
    }
}

}  // namespace berth::cli
