// berth version, info, events, system df, system prune (and system info/events).
#include <sys/utsname.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <ctime>

#include "base/byte_size.h"
#include "cli/container_commands.h"
#include "cli/go_template.h"
#include "cli/human.h"
#include "cli/list_output.h"
#include "cli/table_format.h"
#include "cli/units.h"

namespace berth::cli {
namespace {

using client::Query;

std::string arch() {
    utsname name{};
    ::uname(&name);
    std::string machine = name.machine;
    if (machine == "x86_64") return "amd64";
    if (machine == "aarch64") return "arm64";
    return machine;
}

Result<void> render_with(const std::string& format, const Json& data) {
    Template tmpl = TRY(Template::parse(parse_format(format).body));
    print(TRY(tmpl.render(data)) + "\n");
    return {};
}

Result<void> version_command(CliContext& context, const std::string& format) {
    auto* client = TRY(context.client());
    Json client_info = {{"Version", BERTH_VERSION},
                        {"ApiVersion", std::string(client::kClientApiVersion)},
                        {"DefaultAPIVersion", std::string(client::kClientApiVersion)},
                        {"GitCommit", BERTH_GIT_COMMIT},
                        {"Os", "linux"},
                        {"Arch", arch()},
                        {"Context", "default"}};
    auto server = client->call("GET", "/version");
    if (server) client_info["ApiVersion"] = TRY(client->api_version()).str();
    // Templates see docker's Go field names: APIVersion where the JSON says ApiVersion.
    client_info["APIVersion"] = client_info["ApiVersion"];
    Json server_data = server ? *server : Json();
    if (server_data.is_object() && server_data.contains("ApiVersion"))
        server_data["APIVersion"] = server_data["ApiVersion"];
    Json data = {{"Client", client_info}, {"Server", server_data}};
    if (!format.empty()) {
        TRY(render_with(format, data));
        if (!server) return std::unexpected(server.error());
        return {};
    }
    std::string text = "Client:\n";
    text += " Version:           " + client_info["Version"].get<std::string>() + "\n";
    std::string api = client_info["ApiVersion"];
    if (api != std::string(client::kClientApiVersion))
        api += " (downgraded from " + std::string(client::kClientApiVersion) + ")";
    text += " API version:       " + api + "\n";
    text += " Git commit:        " + client_info["GitCommit"].get<std::string>() + "\n";
    text += " OS/Arch:           linux/" + arch() + "\n";
    text += " Context:           default\n";
    print(text);
    if (!server) {
        std::fflush(stdout);
        return std::unexpected(server.error());
    }
    text = "\nServer:";
    if (server->contains("Platform") && !(*server)["Platform"].value("Name", "").empty())
        text += " " + (*server)["Platform"]["Name"].get<std::string>();
    text += "\n";
    if ((*server)["Components"].is_array()) {
        for (auto& component : (*server)["Components"]) {
            std::string name = component.value("Name", "");
            const Json& details = component["Details"];
            if (name == "Engine") {
                text += " Engine:\n";
                text += "  Version:          " + component.value("Version", "") + "\n";
                text += "  API version:      " + details.value("ApiVersion", "") +
                        " (minimum version " + details.value("MinAPIVersion", "") + ")\n";
                text += "  Go version:       " + details.value("GoVersion", "") + "\n";
                text += "  Git commit:       " + details.value("GitCommit", "") + "\n";
                text += "  Built:            " + details.value("BuildTime", "") + "\n";
                text += "  OS/Arch:          " + details.value("Os", "") + "/" +
                        details.value("Arch", "") + "\n";
                text += "  Experimental:     " + details.value("Experimental", "") + "\n";
            } else {
                text += " " + name + ":\n";
                text += "  Version:          " + component.value("Version", "") + "\n";
                if (details.is_object())
                    for (auto& [key, value] : details.items())
                        text += "  " + key + ":" +
                                std::string(key.size() < 16 ? 16 - key.size() : 1, ' ') +
                                (value.is_string() ? value.get<std::string>() : value.dump()) +
                                "\n";
            }
        }
    }
    print(text);
    return {};
}

Result<void> info_command(CliContext& context, const std::string& format) {
    auto* client = TRY(context.client());
    auto server = client->call("GET", "/info");
    if (!format.empty()) {
        if (!server) return std::unexpected(server.error());
        return render_with(format, *server);
    }
    print("Client:\n Version:    " BERTH_VERSION "\n Context:    default\n Debug Mode: false\n\n");
    if (!server) {
        std::fflush(stdout);
        return std::unexpected(server.error());
    }
    const Json& s = *server;
    auto str = [&](const char* key) {
        return s.contains(key) && s[key].is_string()
                   ? s[key].get<std::string>()
                   : (s.contains(key) ? s[key].dump() : std::string());
    };
    std::string text = "Server:\n";
    text += " Containers: " + str("Containers") + "\n";
    text += "  Running: " + str("ContainersRunning") + "\n";
    text += "  Paused: " + str("ContainersPaused") + "\n";
    text += "  Stopped: " + str("ContainersStopped") + "\n";
    text += " Images: " + str("Images") + "\n";
    text += " Server Version: " + str("ServerVersion") + "\n";
    text += " Storage Driver: " + str("Driver") + "\n";
    if (s["DriverStatus"].is_array())
        for (auto& pair : s["DriverStatus"])
            if (pair.is_array() && pair.size() == 2)
                text +=
                    "  " + pair[0].get<std::string>() + ": " + pair[1].get<std::string>() + "\n";
    text += " Logging Driver: " + str("LoggingDriver") + "\n";
    text += " Cgroup Driver: " + str("CgroupDriver") + "\n";
    text += " Cgroup Version: " + str("CgroupVersion") + "\n";
    if (s["Runtimes"].is_object()) {
        text += " Runtimes:";
        for (auto& [name, _] : s["Runtimes"].items())
            text += " " + name;
        text += "\n";
    }
    text += " Default Runtime: " + str("DefaultRuntime") + "\n";
    text += " Kernel Version: " + str("KernelVersion") + "\n";
    text += " Operating System: " + str("OperatingSystem") + "\n";
    text += " OSType: " + str("OSType") + "\n";
    text += " Architecture: " + str("Architecture") + "\n";
    text += " CPUs: " + str("NCPU") + "\n";
    text += " Total Memory: " + binary_size(s.value("MemTotal", 0.0)) + "\n";
    text += " Name: " + str("Name") + "\n";
    text += " ID: " + str("ID") + "\n";
    text += " Docker Root Dir: " + str("DockerRootDir") + "\n";
    text += " Debug Mode: " + str("Debug") + "\n";
    text += " Experimental: " + str("ExperimentalBuild") + "\n";
    text += " Live Restore Enabled: " + str("LiveRestoreEnabled") + "\n";
    print(text + "\n");
    return {};
}

int64_t now_nanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct EventsOptions {
    std::string since, until, format;
    std::vector<std::string> filters;
};

// docker's default event line: time, type, action, actor and its sorted attributes.
std::string event_line(const Json& event) {
    int64_t nanos = event.value("timeNano", int64_t{0});
    if (nanos == 0) nanos = event.value("time", int64_t{0}) * 1000000000;
    time_t seconds = static_cast<time_t>(nanos / 1000000000);
    tm utc{};
    ::gmtime_r(&seconds, &utc);
    char stamp[64];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    char line[128];
    std::snprintf(line, sizeof line, "%s.%09lldZ ", stamp,
                  static_cast<long long>(nanos % 1000000000));
    std::string text = line;
    text += event.value("Type", "") + " " + event.value("Action", "") + " ";
    const Json& actor = event.contains("Actor") ? event["Actor"] : Json::object();
    text += actor.value("ID", "");
    if (actor.contains("Attributes") && actor["Attributes"].is_object() &&
        !actor["Attributes"].empty()) {
        std::string attributes;
        for (auto& [key, value] : actor["Attributes"].items())
            attributes += (attributes.empty() ? "" : ", ") + key + "=" + value.get<std::string>();
        text += " (" + attributes + ")";
    }
    return text + "\n";
}

Result<void> events_command(CliContext& context, const EventsOptions& options) {
    auto* client = TRY(context.client());
    Json filters = Json::object();
    for (auto& filter : options.filters) {
        auto eq = filter.find('=');
        if (eq == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "bad format of filter (expected name=value)");
        filters[filter.substr(0, eq)][filter.substr(eq + 1)] = true;
    }
    Query query;
    int64_t now = now_nanos();
    if (!options.since.empty()) query.add("since", TRY(api_timestamp(options.since, now)));
    if (!options.until.empty()) query.add("until", TRY(api_timestamp(options.until, now)));
    query.add_if(!filters.empty(), "filters", filters.dump());
    std::string format = options.format == "json" ? "{{json .}}" : options.format;
    std::optional<Template> tmpl;
    if (!format.empty() && format != "{{json .}}")
        tmpl = TRY(Template::parse(parse_format(format).body));
    auto body = TRY(client->stream("GET", "/events" + query.str()));
    while (auto line = TRY(body->read_line())) {
        if (line->find_first_not_of(" \r\t") == std::string::npos) continue;
        // The daemon's JSON is what docker prints for {{json .}}: key order kept.
        if (format == "{{json .}}") {
            print(*line + "\n");
        } else {
            Json event = TRY(parse_json(*line, "event"));
            print(tmpl ? TRY(tmpl->render(event)) + "\n" : event_line(event));
        }
        std::fflush(stdout);
    }
    return {};
}

// "1.2GB (40%)": what a prune would free, and its share of the total.
std::string reclaimable_text(double reclaimable, double total) {
    std::string text = human_size(reclaimable);
    if (total > 0)
        text += " (" + std::to_string(static_cast<int>(reclaimable * 100 / total)) + "%)";
    else
        text += " (0%)";
    return text;
}

const Json& array_or_empty(const Json& value) {
    static const Json kEmpty = Json::array();
    return value.is_array() ? value : kEmpty;
}

// `system df`'s summary: one row per kind (images, containers, local volumes, build cache).
std::vector<Json> df_summary_rows(const Json& df) {
    std::vector<Json> rows;
    const Json& images = array_or_empty(df["Images"]);
    double image_size = df.value("LayersSize", 0.0), image_reclaim = image_size;
    int active_images = 0;
    for (auto& image : images)
        if (image.value("Containers", 0) > 0) {
            ++active_images;
            image_reclaim -=
                image.value("Size", 0.0) - std::max(0.0, image.value("SharedSize", 0.0));
        }
    if (image_reclaim < 0) image_reclaim = 0;
    rows.push_back({{"Type", "Images"},
                    {"TotalCount", std::to_string(images.size())},
                    {"Active", std::to_string(active_images)},
                    {"Size", human_size(image_size)},
                    {"Reclaimable", reclaimable_text(image_reclaim, image_size)}});
    const Json& containers = array_or_empty(df["Containers"]);
    double container_size = 0, container_reclaim = 0;
    int running = 0;
    for (auto& c : containers) {
        container_size += c.value("SizeRw", 0.0);
        if (c.value("State", "") == "running")
            ++running;
        else
            container_reclaim += c.value("SizeRw", 0.0);
    }
    rows.push_back(
        {{"Type", "Containers"},
         {"TotalCount", std::to_string(containers.size())},
         {"Active", std::to_string(running)},
         {"Size", human_size(container_size)},
         {"Reclaimable", container_size > 0 ? reclaimable_text(container_reclaim, container_size)
                                            : human_size(0)}});
    const Json& volumes = array_or_empty(df["Volumes"]);
    double volume_size = 0;
    for (auto& v : volumes)
        volume_size += std::max(0.0, v["UsageData"].value("Size", 0.0));
    rows.push_back({{"Type", "Local Volumes"},
                    {"TotalCount", std::to_string(volumes.size())},
                    {"Active", "0"},
                    {"Size", human_size(volume_size)},
                    {"Reclaimable", human_size(volume_size)}});
    const Json& cache = array_or_empty(df["BuildCache"]);
    rows.push_back({{"Type", "Build Cache"},
                    {"TotalCount", std::to_string(cache.size())},
                    {"Active", "0"},
                    {"Size", "0B"},
                    {"Reclaimable", "0B"}});
    return rows;
}

// `system df -v`: the images' and containers' own lines, then the (empty) volumes and cache.
void print_df_details(const Json& images, const Json& containers) {
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<std::vector<std::string>> table = {{"REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                                                    "SIZE", "SHARED SIZE", "UNIQUE SIZE",
                                                    "CONTAINERS"}};
    for (auto& image : images) {
        std::vector<std::string> tags;
        if (image["RepoTags"].is_array())
            for (auto& t : image["RepoTags"])
                tags.push_back(t);
        if (tags.empty()) tags.push_back("<none>:<none>");
        double size = image.value("Size", 0.0),
               shared = std::max(0.0, image.value("SharedSize", 0.0));
        for (auto& tag : tags) {
            auto colon = tag.rfind(':');
            table.push_back({tag.substr(0, colon), tag.substr(colon + 1),
                             short_id(image.value("Id", "")),
                             time_ago(image.value("Created", int64_t{0}), now), human_size(size),
                             human_size(shared), human_size(size - shared),
                             std::to_string(image.value("Containers", 0))});
        }
    }
    print("\nImages space usage:\n\n" + render_table(table));
    table = {{"CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS",
              "NAMES"}};
    for (auto& c : containers) {
        std::string name =
            c["Names"].is_array() && !c["Names"].empty() ? c["Names"][0].get<std::string>() : "";
        if (name.starts_with("/")) name.erase(0, 1);
        table.push_back({short_id(c.value("Id", "")), c.value("Image", ""),
                         go_quote(ellipsis(c.value("Command", ""), 20)), "0",
                         human_size(c.value("SizeRw", 0.0)),
                         time_ago(c.value("Created", int64_t{0}), now), c.value("Status", ""),
                         name});
    }
    print("\nContainers space usage:\n\n" + render_table(table));
    print("\nLocal Volumes space usage:\n\n" + render_table({{"VOLUME NAME", "LINKS", "SIZE"}}));
    print("\nBuild cache usage: 0B\n\n" +
          render_table(
              {{"CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"}}));
}

Result<void> df_command(CliContext& context, bool verbose, const std::string& format) {
    auto* client = TRY(context.client());
    Json df = TRY(client->call("GET", "/system/df"));
    ListFormat list{
        .user_format = format,
        .default_table =
            "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
        .headers = {{"Type", "TYPE"},
                    {"TotalCount", "TOTAL"},
                    {"Active", "ACTIVE"},
                    {"Size", "SIZE"},
                    {"Reclaimable", "RECLAIMABLE"}}};
    print(TRY(format_list(df_summary_rows(df), list)));
    if (verbose) print_df_details(array_or_empty(df["Images"]), array_or_empty(df["Containers"]));
    return {};
}

Result<void> system_prune(CliContext& context, bool all, bool force) {
    if (!force) {
        std::string warning =
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by "
            "at least one container\n";
        warning += all ? "  - all images without at least one container associated to them\n  - "
                         "all build cache\n"
                       : "  - all dangling images\n  - unused build cache\n";
        if (!confirm(warning)) return {};
    }
    auto* client = TRY(context.client());
    double reclaimed = 0;
    Json containers = TRY(client->call("POST", "/containers/prune"));
    if (containers["ContainersDeleted"].is_array() && !containers["ContainersDeleted"].empty()) {
        std::printf("Deleted Containers:\n");
        for (auto& id : containers["ContainersDeleted"])
            std::printf("%s\n", id.get<std::string>().c_str());
        std::printf("\n");
    }
    reclaimed += containers.value("SpaceReclaimed", 0.0);
    Json filters = Json::object();
    if (all) filters["dangling"]["false"] = true;
    Json images = TRY(client->call(
        "POST", "/images/prune" + Query().add_if(all, "filters", filters.dump()).str()));
    if (images["ImagesDeleted"].is_array() && !images["ImagesDeleted"].empty()) {
        std::printf("Deleted Images:\n");
        for (auto& event : images["ImagesDeleted"]) {
            if (event.contains("Untagged"))
                std::printf("untagged: %s\n", event["Untagged"].get<std::string>().c_str());
            if (event.contains("Deleted"))
                std::printf("deleted: %s\n", event["Deleted"].get<std::string>().c_str());
        }
        std::printf("\n");
    }
    reclaimed += images.value("SpaceReclaimed", 0.0);
    std::printf("Total reclaimed space: %s\n", human_size(reclaimed).c_str());
    return {};
}

}  // namespace

void add_system_commands(const CommandGroups& groups, CliContext& context) {
    auto version_format = std::make_shared<std::string>();
    for (auto* version :
         groups.add({{groups.app, "version"}}, "Show the berth version information")) {
        version->add_option("-f,--format", *version_format,
                            "Format output using a custom template");
        version->callback([&context, version_format] {
            guarded(context, [&] { return version_command(context, *version_format); });
        });
    }
    auto info_format = std::make_shared<std::string>();
    for (auto* command : groups.add({{groups.app, "info"}, {groups.system, "info"}},
                                    "Display system-wide information")) {
        command->add_option("-f,--format", *info_format, "Format output using a custom template");
        command->callback([&context, info_format] {
            guarded(context, [&] { return info_command(context, *info_format); });
        });
    }
    auto events = std::make_shared<EventsOptions>();
    for (auto* command : groups.add({{groups.app, "events"}, {groups.system, "events"}},
                                    "Get real time events from the server")) {
        command->add_option("--since", events->since, "Show all events created since timestamp");
        command->add_option("--until", events->until, "Stream events until this timestamp");
        command
            ->add_option("-f,--filter", events->filters,
                         "Filter output based on conditions provided")
            ->allow_extra_args(false);
        command->add_option("--format", events->format, "Format output using a custom template");
        command->callback([&context, events] {
            guarded(context, [&] { return events_command(context, *events); });
        });
    }
    auto df_verbose = std::make_shared<bool>(false);
    auto df_format = std::make_shared<std::string>();
    for (auto* df : groups.add({{groups.system, "df"}}, "Show docker disk usage")) {
        df->add_flag("-v,--verbose", *df_verbose, "Show detailed information on space usage");
        df->add_option("--format", *df_format, "Format output using a custom template");
        df->callback([&context, df_verbose, df_format] {
            guarded(context, [&] { return df_command(context, *df_verbose, *df_format); });
        });
    }
    auto prune_all = std::make_shared<bool>(false);
    auto prune_force = std::make_shared<bool>(false);
    auto prune_volumes = std::make_shared<bool>(false);
    for (auto* prune : groups.add({{groups.system, "prune"}}, "Remove unused data")) {
        prune->add_flag("-a,--all", *prune_all, "Remove all unused images not just dangling ones");
        prune->add_flag("-f,--force", *prune_force, "Do not prompt for confirmation");
        prune->add_flag("--volumes", *prune_volumes, "Prune anonymous volumes");
        prune->callback([&context, prune_all, prune_force] {
            guarded(context, [&] { return system_prune(context, *prune_all, *prune_force); });
        });
    }
}

}  // namespace berth::cli
