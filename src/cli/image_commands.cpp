#include "cli/image_commands.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>

#include "base/byte_size.h"
#include "base/fs.h"
#include "cli/container_commands.h"
#include "cli/human.h"
#include "cli/image_options.h"
#include "cli/list_output.h"
#include "image/reference.h"

namespace berth::cli {
namespace {

using client::Query;

Result<Json> filters_json(const std::vector<std::string>& filters) {
    Json out = Json::object();
    for (auto& filter : filters) {
        auto eq = filter.find('=');
        if (eq == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "bad format of filter (expected name=value)");
        out[filter.substr(0, eq)][filter.substr(eq + 1)] = true;
    }
    return out;
}

// "repo:tag" split at the tag's colon (not a registry port's).
std::pair<std::string, std::string> split_tag(const std::string& reference) {
    auto slash = reference.rfind('/');
    auto colon = reference.rfind(':');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash))
        return {reference, ""};
    return {reference.substr(0, colon), reference.substr(colon + 1)};
}

}  // namespace

Result<void> print_image_list(const Json& summaries, const ImagesOptions& options) {
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<Json> rows;
    std::set<std::string> quiet_ids;
    for (auto& summary : summaries) {
        std::vector<std::string> tags;
        if (summary["RepoTags"].is_array())
            for (auto& tag : summary["RepoTags"])
                if (tag != "<none>:<none>") tags.push_back(tag.get<std::string>());
        if (tags.empty()) tags.push_back("");
        for (auto& tag : tags) {
            std::string repository = "<none>", tag_name = "<none>";
            if (!tag.empty()) std::tie(repository, tag_name) = split_tag(tag);
            std::string id = short_id(summary.value("Id", ""), options.no_trunc);
            if (options.quiet) {
                if (quiet_ids.insert(id).second) rows.push_back({{"ID", id}});
                continue;
            }
            std::string digest = "<none>";
            if (summary["RepoDigests"].is_array())
                for (auto& repo_digest : summary["RepoDigests"]) {
                    std::string text = repo_digest;
                    if (auto at = text.find('@');
                        at != std::string::npos && text.substr(0, at) == repository)
                        digest = text.substr(at + 1);
                }
            int64_t created = summary.value("Created", int64_t{0});
            std::string size = human_size(summary.value("Size", 0.0));
            int64_t containers = summary.value("Containers", int64_t{-1});
            int64_t shared = summary.value("SharedSize", int64_t{-1});
            rows.push_back(
                {{"Containers", containers < 0 ? "N/A" : std::to_string(containers)},
                 {"CreatedAt", go_time_utc(created)},
                 {"CreatedSince", time_ago(created, now)},
                 {"Digest", digest},
                 {"ID", id},
                 {"Repository", repository},
                 {"SharedSize", shared < 0 ? "N/A" : human_size(static_cast<double>(shared))},
                 {"Size", size},
                 {"Tag", tag_name},
                 {"UniqueSize", "N/A"},
                 {"VirtualSize", size}});
        }
    }
    ListFormat format{
        .user_format = options.quiet ? "{{.ID}}" : options.format,
        .default_table =
            options.digests
                ? "table "
                  "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}",
        .headers = {{"Repository", "REPOSITORY"},
                    {"Tag", "TAG"},
                    {"Digest", "DIGEST"},
                    {"ID", "IMAGE ID"},
                    {"CreatedSince", "CREATED"},
                    {"CreatedAt", "CREATED AT"},
                    {"Size", "SIZE"},
                    {"Containers", "CONTAINERS"},
                    {"SharedSize", "SHARED SIZE"},
                    {"UniqueSize", "UNIQUE SIZE"},
                    {"VirtualSize", "VIRTUAL SIZE"}}};
    print(TRY(format_list(rows, format)));
    return {};
}

namespace {

Result<void> list_images(CliContext& context, const ImagesOptions& options) {
    auto* client = TRY(context.client());
    Json filters = TRY(filters_json(options.filters));
    if (!options.repository.empty()) filters["reference"][options.repository] = true;
    Json summaries = TRY(client->call(
        "GET", "/images/json" + Query()
                                    .add_if(options.all, "all", "1")
                                    .add_if(!filters.empty(), "filters", filters.dump())
                                    .add_if(options.digests, "digests", "1")
                                    .str()));
    return print_image_list(summaries, options);
}

void add_images_flags(CLI::App* command, ImagesOptions& options) {
    command->add_option("repository", options.repository, "Show images of this repository[:tag]");
    command->add_flag("-a,--all", options.all,
                      "Show all images (default hides intermediate images)");
    command->add_flag("-q,--quiet", options.quiet, "Only show image IDs");
    command->add_flag("--no-trunc", options.no_trunc, "Don't truncate output");
    command->add_flag("--digests", options.digests, "Show digests");
    command->add_option("--format", options.format, "Format output: table, json, or a Go template");
    command
        ->add_option("-f,--filter", options.filters, "Filter output based on conditions provided")
        ->allow_extra_args(false);
}

void inspect_images(CliContext& context, const std::vector<std::string>& names,
                    const std::string& format) {
    auto client = context.client();
    if (!client) return context.report(client.error());
    std::vector<std::string> raws, errors;
    for (auto& name : names) {
        auto response = (*client)->request("GET", "/images/" + name + "/json");
        if (!response) return context.report(response.error());
        if (!response->ok()) {
            errors.push_back(client::daemon_error(response->status, response->body).message());
            continue;
        }
        std::string body = response->body;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
            body.pop_back();
        raws.push_back(body);
    }
    if (auto printed = print_inspected(raws, format); !printed)
        return context.report(printed.error());
    std::fflush(stdout);
    for (auto& message : errors)
        std::fprintf(stderr, "%s\n", message.c_str());
    if (!errors.empty()) context.exit_code = 1;
}

void print_removals(const Json& events, bool lower) {
    if (!events.is_array()) return;
    for (auto& event : events) {
        if (event.contains("Untagged"))
            std::printf("%s: %s\n", lower ? "untagged" : "Untagged",
                        event["Untagged"].get<std::string>().c_str());
        if (event.contains("Deleted"))
            std::printf("%s: %s\n", lower ? "deleted" : "Deleted",
                        event["Deleted"].get<std::string>().c_str());
    }
}

void remove_images(CliContext& context, const std::vector<std::string>& names, bool force,
                   bool no_prune) {
    auto client = context.client();
    if (!client) return context.report(client.error());
    bool failed = false;
    for (auto& name : names) {
        auto events = (*client)->call(
            "DELETE",
            "/images/" + name +
                Query().add_if(force, "force", "1").add_if(no_prune, "noprune", "1").str());
        if (!events) {
            std::fprintf(stderr, "%s\n", events.error().message().c_str());
            failed = true;
            continue;
        }
        print_removals(*events, false);
    }
    if (failed) context.exit_code = 1;
}

}  // namespace

Result<void> print_image_history(const Json& history, const HistoryOptions& options) {
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<Json> rows;
    for (auto& entry : history) {
        std::string id = entry.value("Id", "<missing>");
        if (id != "<missing>") id = short_id(id, options.no_trunc);
        std::string created_by = entry.value("CreatedBy", "");
        std::replace(created_by.begin(), created_by.end(), '\t', ' ');
        if (!options.no_trunc) created_by = ellipsis(created_by, 45);
        int64_t created = entry.value("Created", int64_t{0});
        int64_t size = entry.value("Size", int64_t{0});
        rows.push_back(
            {{"ID", id},
             {"CreatedSince", options.human ? time_ago(created, now) : go_time_utc(created)},
             {"CreatedAt", go_time_utc(created)},
             {"CreatedBy", created_by},
             {"Size", options.human ? human_size(static_cast<double>(size)) : std::to_string(size)},
             {"Comment", entry.value("Comment", "")}});
    }
    ListFormat format{
        .user_format = options.quiet ? "{{.ID}}" : options.format,
        .default_table =
            "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        .headers = {{"ID", "IMAGE"},
                    {"CreatedSince", "CREATED"},
                    {"CreatedAt", "CREATED AT"},
                    {"CreatedBy", "CREATED BY"},
                    {"Size", "SIZE"},
                    {"Comment", "COMMENT"}}};
    print(TRY(format_list(rows, format)));
    return {};
}

bool confirm_image_prune(bool all, bool force) {
    if (force) return true;
    return confirm(all ? "WARNING! This will remove all images without at least one container "
                         "associated to them."
                       : "WARNING! This will remove all dangling images.");
}

void print_image_prune(const Json& deleted, double reclaimed_bytes) {
    if (deleted.is_array() && !deleted.empty()) {
        std::printf("Deleted Images:\n");
        print_removals(deleted, true);
        std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_size(reclaimed_bytes).c_str());
}

namespace {

Result<void> show_history(CliContext& context, const HistoryOptions& options) {
    auto* client = TRY(context.client());
    Json history = TRY(client->call("GET", "/images/" + options.image + "/history"));
    return print_image_history(history, options);
}

Result<void> prune_images(CliContext& context, bool all, bool force) {
    if (!confirm_image_prune(all, force)) return {};
    auto* client = TRY(context.client());
    Json filters = Json::object();
    if (all) filters["dangling"]["false"] = true;
    Json report = TRY(client->call(
        "POST", "/images/prune" + Query().add_if(all, "filters", filters.dump()).str()));
    print_image_prune(report["ImagesDeleted"], report.value("SpaceReclaimed", 0.0));
    return {};
}

Result<void> save_images(CliContext& context, const std::vector<std::string>& names,
                         const std::string& output) {
    int out_fd = STDOUT_FILENO;
    if (output.empty() || output == "-") {
        if (::isatty(STDOUT_FILENO))
            return fail(ErrorKind::InvalidArgument,
                        "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    auto* client = TRY(context.client());
    Query query;
    for (auto& name : names)
        query.add("names", name);
    auto body = TRY(client->stream("GET", "/images/get" + query.str()));
    // Written next to the target and renamed at the end: a failed save leaves no truncated file.
    std::string temp;
    UniqueFd fd;
    if (!(output.empty() || output == "-")) {
        temp = output + ".berth-XXXXXX";
        fd = UniqueFd(::mkostemp(temp.data(), O_CLOEXEC));
        if (!fd) return fail_errno("create " + output);
        ::fchmod(fd.get(), 0644);
        out_fd = fd.get();
    }
    auto copy = [&]() -> Result<void> {
        char buffer[65536];
        while (size_t n = TRY(body->read_some(buffer, sizeof buffer))) {
            for (size_t done = 0; done < n;) {
                ssize_t w = ::write(out_fd, buffer + done, n - done);
                if (w < 0 && errno == EINTR) continue;
                if (w < 0)
                    return fail_errno("write " + (temp.empty() ? std::string("stdout") : output));
                done += static_cast<size_t>(w);
            }
        }
        return {};
    };
    auto saved = copy();
    if (temp.empty()) return saved;
    if (saved && ::fsync(fd.get()) != 0) saved = fail_errno("write " + output);
    if (saved && ::rename(temp.c_str(), output.c_str()) != 0)
        saved = fail_errno("rename to " + output);
    if (!saved) ::unlink(temp.c_str());
    return saved;
}

// Prints a JSON-message stream (load, import): "stream" text as it is, "status" lines, and an
// "error" as the command's error.
Result<void> print_messages(client::BodyReader& body) {
    while (auto line = TRY(body.read_line())) {
        if (line->find_first_not_of(" \r\t") == std::string::npos) continue;
        Json message = TRY(parse_json(*line, "daemon message"));
        if (message.contains("error") && message["error"].is_string())
            return fail(ErrorKind::Internal, message["error"].get<std::string>());
        if (message.contains("stream") && message["stream"].is_string())
            std::fputs(message["stream"].get<std::string>().c_str(), stdout);
        else if (message.contains("status") && message["status"].is_string())
            std::printf("%s\n", message["status"].get<std::string>().c_str());
    }
    return {};
}

// -q only silences progress output in docker; the "Loaded image" lines are always printed.
Result<void> load_images(CliContext& context, const std::string& input, bool quiet,
                         const std::string& platform) {
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (!input.empty() && input != "-") {
        owned = TRY(open_fd(input, O_RDONLY | O_CLOEXEC));
        fd = owned.get();
    } else if (::isatty(STDIN_FILENO)) {
        return fail(ErrorKind::InvalidArgument, "requested load from stdin, but stdin is empty");
    }
    auto* client = TRY(context.client());
    auto body =
        TRY(client->stream("POST",
                           "/images/load" + Query()
                                                .add_if(quiet, "quiet", "1")
                                                .add_if(!platform.empty(), "platform", platform)
                                                .str(),
                           std::nullopt, fd, "application/x-tar"));
    return print_messages(*body);
}

Result<void> import_image(CliContext& context, const ImportCommand& command) {
    if (command.source.find("://") != std::string::npos)
        return fail(ErrorKind::Unsupported,
                    "importing from a URL is not supported: download the file first");
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (command.source != "-") {
        owned = TRY(open_fd(command.source, O_RDONLY | O_CLOEXEC));
        fd = owned.get();
    }
    auto* client = TRY(context.client());
    Query query;
    query.add("fromSrc", "-");
    if (!command.reference.empty()) {
        auto [repo, tag] = split_tag(command.reference);
        query.add("repo", repo).add_if(!tag.empty(), "tag", tag);
    }
    query.add_if(!command.message.empty(), "message", command.message)
        .add_if(!command.platform.empty(), "platform", command.platform);
    for (auto& change : command.changes)
        query.add("changes", change);
    auto body = TRY(client->stream("POST", "/images/create" + query.str(), std::nullopt, fd,
                                   "application/x-tar"));
    return print_messages(*body);
}

}  // namespace

namespace {

void add_images_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto images_opts = std::make_shared<ImagesOptions>();
    for (auto* command : groups.add({{&app, "images"}, {image, "ls", {"list"}}}, "List images")) {
        add_images_flags(command, *images_opts);
        command->callback([&context, images_opts] {
            guarded(context, [&] {
                return context.local_store() ? store::list_images(context, *images_opts)
                                             : list_images(context, *images_opts);
            });
        });
    }
}

void add_inspect_command(const CommandGroups& groups, CliContext& context) {
    CLI::App* image = groups.image;
    auto inspect_names = std::make_shared<std::vector<std::string>>();
    auto inspect_format = std::make_shared<std::string>();
    for (auto* command :
         groups.add({{image, "inspect"}}, "Display detailed information on one or more images")) {
        command->add_option("name", *inspect_names, "Image name or ID")->required();
        command->add_option("-f,--format", *inspect_format, "Format output using a Go template");
        command->callback([&context, inspect_names, inspect_format] {
            if (!context.local_store())
                return inspect_images(context, *inspect_names, *inspect_format);
            guarded(context, [&] {
                return store::inspect_images(context, *inspect_names, *inspect_format);
            });
        });
    }
}

void add_remove_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto rm_names = std::make_shared<std::vector<std::string>>();
    auto rm_force = std::make_shared<bool>(false);
    auto rm_no_prune = std::make_shared<bool>(false);
    for (auto* command :
         groups.add({{&app, "rmi"}, {image, "rm", {"remove"}}}, "Remove one or more images")) {
        command->add_option("image", *rm_names, "Image name or ID")->required();
        command->add_flag("-f,--force", *rm_force, "Force removal of the image");
        command->add_flag("--no-prune", *rm_no_prune, "Do not delete untagged parents");
        command->callback([&context, rm_names, rm_force, rm_no_prune] {
            if (!context.local_store())
                return remove_images(context, *rm_names, *rm_force, *rm_no_prune);
            guarded(context, [&] { return store::remove_images(context, *rm_names, *rm_force); });
        });
    }
}

void add_tag_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto tag_args = std::make_shared<std::vector<std::string>>();
    for (auto* command : groups.add({{&app, "tag"}, {image, "tag"}},
                                    "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")) {
        command->add_option("source target", *tag_args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
            ->required()
            ->expected(2);
        command->callback([&context, tag_args] {
            guarded(context, [&]() -> Result<void> {
                if (context.local_store())
                    return store::tag_image(context, (*tag_args)[0], (*tag_args)[1]);
                auto* client = TRY(context.client());
                auto [repo, tag] = split_tag((*tag_args)[1]);
                TRY(client->call(
                    "POST", "/images/" + (*tag_args)[0] + "/tag" +
                                Query().add("repo", repo).add_if(!tag.empty(), "tag", tag).str()));
                return {};
            });
        });
    }
}

void add_history_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto history_opts = std::make_shared<HistoryOptions>();
    for (auto* command :
         groups.add({{&app, "history"}, {image, "history"}}, "Show the history of an image")) {
        command->add_option("image", history_opts->image, "Image name or ID")->required();
        command->add_option("-H,--human", history_opts->human,
                            "Print sizes and dates in human readable format");
        command->add_flag("--no-trunc", history_opts->no_trunc, "Don't truncate output");
        command->add_flag("-q,--quiet", history_opts->quiet, "Only show image IDs");
        command->add_option("--format", history_opts->format, "Format output using a Go template");
        command->callback([&context, history_opts] {
            guarded(context, [&] {
                return context.local_store() ? store::show_history(context, *history_opts)
                                             : show_history(context, *history_opts);
            });
        });
    }
}

void add_prune_command(const CommandGroups& groups, CliContext& context) {
    CLI::App* image = groups.image;
    auto prune_all = std::make_shared<bool>(false);
    auto prune_force = std::make_shared<bool>(false);
    for (auto* prune : groups.add({{image, "prune"}}, "Remove unused images")) {
        prune->add_flag("-a,--all", *prune_all, "Remove all unused images, not just dangling ones");
        prune->add_flag("-f,--force", *prune_force, "Do not prompt for confirmation");
        prune->callback([&context, prune_all, prune_force] {
            guarded(context, [&] {
                return context.local_store()
                           ? store::prune_images(context, *prune_all, *prune_force)
                           : prune_images(context, *prune_all, *prune_force);
            });
        });
    }
}

void add_save_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto save_names = std::make_shared<std::vector<std::string>>();
    auto save_output = std::make_shared<std::string>();
    auto save_format = std::make_shared<std::string>();
    for (auto* command :
         groups.add({{&app, "save"}, {image, "save"}},
                    "Save one or more images to a tar archive (streamed to STDOUT by default)")) {
        command->add_option("image", *save_names, "Image name or ID")->required();
        command->add_option("-o,--output", *save_output, "Write to a file, instead of STDOUT");
        command->add_option(
            "--format", *save_format,
            "With --root: combined (default: docker and OCI in one), docker or oci");
        command->callback([&context, save_names, save_output, save_format] {
            guarded(context, [&]() -> Result<void> {
                if (context.local_store())
                    return store::save_images(context, *save_names, *save_output, *save_format);
                if (!save_format->empty())
                    return fail(ErrorKind::InvalidArgument,
                                "--format needs --root (the local store)");
                return save_images(context, *save_names, *save_output);
            });
        });
    }
}

void add_load_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto load_input = std::make_shared<std::string>();
    auto load_quiet = std::make_shared<bool>(false);
    auto load_platform = std::make_shared<std::string>();
    for (auto* command : groups.add({{&app, "load"}, {image, "load"}},
                                    "Load an image from a tar archive or STDIN")) {
        command->add_option("-i,--input", *load_input,
                            "Read from tar archive file, instead of STDIN");
        command->add_flag("-q,--quiet", *load_quiet, "Suppress the load output");
        command->add_option("--platform", *load_platform,
                            "Load the image for this platform (os/arch[/variant])");
        command->callback([&context, load_input, load_quiet, load_platform] {
            guarded(context, [&] {
                return context.local_store()
                           ? store::load_images(context, *load_input, *load_platform)
                           : load_images(context, *load_input, *load_quiet, *load_platform);
            });
        });
    }
}

void add_import_command(const CommandGroups& groups, CliContext& context) {
    CLI::App& app = *groups.app;
    CLI::App* image = groups.image;
    auto import_cmd = std::make_shared<ImportCommand>();
    for (auto* command :
         groups.add({{&app, "import"}, {image, "import"}},
                    "Import the contents from a tarball to create a filesystem image")) {
        command->add_option("file", import_cmd->source, "File, or - for STDIN")->required();
        command->add_option("repository", import_cmd->reference, "REPOSITORY[:TAG]");
        command
            ->add_option("-c,--change", import_cmd->changes,
                         "Apply Dockerfile instruction to the created image")
            ->allow_extra_args(false);
        command->add_option("-m,--message", import_cmd->message,
                            "Set commit message for imported image");
        command->add_option("--platform", import_cmd->platform,
                            "Set platform if server is multi-platform capable");
        command->callback([&context, import_cmd] {
            guarded(context, [&] {
                return context.local_store() ? store::import_image(context, *import_cmd)
                                             : import_image(context, *import_cmd);
            });
        });
    }
}

void add_mount_commands(const CommandGroups& groups, CliContext& context) {
    CLI::App* image = groups.image;
    auto mount_args = std::make_shared<std::vector<std::string>>();
    for (auto* mount :
         groups.add({{image, "mount"}},
                    "Mount an image's root file system read-only (like podman image mount)")) {
        mount->add_option("image target", *mount_args, "IMAGE DIRECTORY")->required()->expected(2);
        mount->callback([&context, mount_args] {
            guarded(context, [&]() -> Result<void> {
                image::ImageService* images = TRY(context.images());
                return images->mount((*mount_args)[0], (*mount_args)[1]);
            });
        });
    }
    auto umount_target = std::make_shared<std::string>();
    for (auto* umount :
         groups.add({{image, "umount", {"unmount"}}}, "Unmount what image mount mounted")) {
        umount->add_option("target", *umount_target, "DIRECTORY")->required();
        umount->callback([&context, umount_target] {
            guarded(context, [&] { return image::unmount_rootfs(*umount_target); });
        });
    }
}

void add_bootstrap_command(const CommandGroups& groups, CliContext& context) {
    CLI::App* image = groups.image;
    auto bootstrap_what = std::make_shared<std::string>();
    auto bootstrap_tag = std::make_shared<std::string>();
    auto bootstrap_mirror = std::make_shared<std::string>();
    auto bootstrap_busybox = std::make_shared<std::string>();
    for (auto* bootstrap :
         groups.add({{image, "bootstrap"}},
                    "Make a base image from the host: busybox or debian[:suite]")) {
        bootstrap->add_option("base", *bootstrap_what, "busybox, debian or debian:SUITE")
            ->required();
        bootstrap->add_option("-t,--tag", *bootstrap_tag,
                              "Name the image (default busybox:latest, debian:SUITE)");
        bootstrap->add_option("--mirror", *bootstrap_mirror, "Debian mirror for debootstrap");
        bootstrap->add_option("--busybox", *bootstrap_busybox,
                              "The static busybox binary to use (default /bin/busybox)");
        bootstrap->callback(
            [&context, bootstrap_what, bootstrap_tag, bootstrap_mirror, bootstrap_busybox] {
                guarded(context, [&] {
                    return store::bootstrap_image(context, *bootstrap_what, *bootstrap_tag,
                                                  *bootstrap_mirror, *bootstrap_busybox);
                });
            });
    }
}

void add_verify_command(const CommandGroups& groups, CliContext& context) {
    CLI::App* image = groups.image;
    auto verify_name = std::make_shared<std::string>();
    for (auto* verify :
         groups.add({{image, "verify"}}, "Re-hash stored blobs of one image, or of all images")) {
        verify->add_option("image", *verify_name, "Image name or ID (default: all)");
        verify->callback([&context, verify_name] {
            guarded(context, [&] { return store::verify_images(context, *verify_name); });
        });
    }
}

}  // namespace

void add_image_commands(const CommandGroups& groups, CliContext& context) {
    add_images_command(groups, context);
    add_inspect_command(groups, context);
    add_remove_command(groups, context);
    add_tag_command(groups, context);
    add_history_command(groups, context);
    add_prune_command(groups, context);
    add_save_command(groups, context);
    add_load_command(groups, context);
    add_import_command(groups, context);
    add_mount_commands(groups, context);
    add_bootstrap_command(groups, context);
    add_verify_command(groups, context);
}

}  // namespace berth::cli
