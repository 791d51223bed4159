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

#include "base/fs.h"
#include "cli/human.h"
#include "cli/list_output.h"
#include "image/bootstrap.h"
#include "image/reference.h"

namespace berth::cli {
namespace {

using image::ImageService;

std::string short_id(const std::string& id, bool no_trunc) {
    if (no_trunc) return id;
    std::string hex = id.starts_with("sha256:") ? id.substr(7) : id;
    return hex.substr(0, 12);
}

// Runs a command body; an error is reported and becomes the exit code.
void guarded(CliContext& context, const std::function<Result<void>()>& body) {
    if (auto result = body(); !result) context.report(result.error());
}

void print(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
}

struct ImagesOptions {
    std::string repository;
    bool all = false;
    bool quiet = false;
    bool no_trunc = false;
    bool digests = false;
    std::string format;
    std::vector<std::string> filters;
};

Result<bool> matches_filters(const Json& summary, const std::string& tag,
                             const std::vector<std::string>& filters) {
    for (auto& filter : filters) {
        auto eq = filter.find('=');
        if (eq == std::string::npos)
            return fail(ErrorKind::InvalidArgument, "bad format of filter (expected name=value)");
        std::string key = filter.substr(0, eq), value = filter.substr(eq + 1);
        if (key == "dangling") {
            if (value != "true" && value != "false")
                return fail(ErrorKind::InvalidArgument, "invalid filter 'dangling=" + value + "'");
            bool dangling = summary["RepoTags"].empty();
            if (dangling != (value == "true")) return false;
        } else if (key == "reference") {
            if (tag.empty()) return false;
            std::string name = tag.substr(0, tag.rfind(':'));
            if (::fnmatch(value.c_str(), tag.c_str(), 0) != 0 &&
                ::fnmatch(value.c_str(), name.c_str(), 0) != 0)
                return false;
        } else if (key == "label") {
            auto label_eq = value.find('=');
            std::string label = value.substr(0, label_eq);
            const Json& labels = summary["Labels"];
            if (!labels.contains(label)) return false;
            if (label_eq != std::string::npos && labels[label] != value.substr(label_eq + 1))
                return false;
        } else {
            return fail(ErrorKind::InvalidArgument, "invalid filter '" + key + "'");
        }
    }
    return true;
}

Result<void> list_images(CliContext& context, const ImagesOptions& options) {
    ImageService* images = TRY(context.images());
    std::vector<Json> summaries;
    for (auto& record : TRY(images->list()))
        summaries.push_back(TRY(images->summary(record)));
    std::stable_sort(summaries.begin(), summaries.end(), [](const Json& a, const Json& b) {
        return a["Created"].get<int64_t>() > b["Created"].get<int64_t>();
    });
    std::string wanted_repo;
    if (!options.repository.empty()) {
        auto ref = TRY(image::parse_reference(options.repository));
        wanted_repo = ref.familiar_str();
        if (ref.tag.empty()) wanted_repo = ref.familiar_name();
    }
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<Json> rows;
    std::set<std::string> quiet_ids;
    for (auto& summary : summaries) {
        std::vector<std::string> tags;
        for (auto& tag : summary["RepoTags"])
            tags.push_back(tag.get<std::string>());
        if (tags.empty()) tags.push_back("");
        for (auto& tag : tags) {
            if (!TRY(matches_filters(summary, tag, options.filters))) continue;
            std::string repository = "<none>", tag_name = "<none>";
            if (!tag.empty()) {
                repository = tag.substr(0, tag.rfind(':'));
                tag_name = tag.substr(tag.rfind(':') + 1);
            }
            if (!wanted_repo.empty() && wanted_repo != repository && wanted_repo != tag) continue;
            std::string id = short_id(summary["Id"], options.no_trunc);
            if (options.quiet) {
                if (quiet_ids.insert(id).second) rows.push_back({{"ID", id}});
                continue;
            }
            int64_t created = summary["Created"];
            std::string size = human_size(static_cast<double>(summary["Size"].get<int64_t>()));
            rows.push_back({{"Containers", "N/A"},
                            {"CreatedAt", go_time_utc(created)},
                            {"CreatedSince", time_ago(created, now)},
                            {"Digest", "<none>"},
                            {"ID", id},
                            {"Repository", repository},
                            {"SharedSize", "N/A"},
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

Result<void> inspect_images(CliContext& context, const std::vector<std::string>& names,
                            const std::string& format) {
    ImageService* images = TRY(context.images());
    std::vector<Json> found;
    std::optional<Error> first_error;
    for (auto& name : names) {
        auto document = images->inspect(name);
        if (document)
            found.push_back(*document);
        else if (!first_error)
            first_error = document.error();
    }
    print(TRY(format_objects(found, format)));
    if (first_error) return std::unexpected(*first_error);
    return {};
}

Result<void> remove_images(CliContext& context, const std::vector<std::string>& names, bool force) {
    ImageService* images = TRY(context.images());
    bool failed = false;
    for (auto& name : names) {
        auto events = images->remove(name, force);
        if (!events) {
            context.report(events.error());
            failed = true;
            continue;
        }
        for (auto& event : *events)
            std::printf("%s: %s\n",
                        event.kind == image::RemovalEvent::Kind::Untagged ? "Untagged" : "Deleted",
                        event.what.c_str());
    }
    if (failed) context.exit_code = 1;
    return {};
}

struct HistoryOptions {
    std::string image;
    bool human = true;
    bool no_trunc = false;
    bool quiet = false;
    std::string format;
};

Result<void> show_history(CliContext& context, const HistoryOptions& options) {
    ImageService* images = TRY(context.images());
    Json history = TRY(images->history(options.image));
    int64_t now = static_cast<int64_t>(::time(nullptr));
    std::vector<Json> rows;
    for (auto& entry : history) {
        std::string id = entry["Id"];
        if (id != "<missing>") id = short_id(id, options.no_trunc);
        std::string created_by = entry["CreatedBy"];
        std::replace(created_by.begin(), created_by.end(), '\t', ' ');
        if (!options.no_trunc && created_by.size() > 45) {
            created_by.resize(44);
            created_by += "…";
        }
        int64_t created = entry["Created"];
        int64_t size = entry["Size"];
        rows.push_back(
            {{"ID", id},
             {"CreatedSince", options.human ? time_ago(created, now) : go_time_utc(created)},
             {"CreatedAt", go_time_utc(created)},
             {"CreatedBy", created_by},
             {"Size", options.human ? human_size(static_cast<double>(size)) : std::to_string(size)},
             {"Comment", entry["Comment"]}});
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

Result<bool> confirm(const std::string& warning) {
    std::printf("%s\nAre you sure you want to continue? [y/N] ", warning.c_str());
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

Result<void> prune_images(CliContext& context, bool all, bool force) {
    if (!force) {
        std::string warning = all ? "WARNING! This will remove all images without at least one "
                                    "container associated to them."
                                  : "WARNING! This will remove all dangling images.";
        if (!TRY(confirm(warning))) return {};
    }
    ImageService* images = TRY(context.images());
    image::PruneReport report = TRY(images->prune(all));
    if (!report.events.empty()) {
        std::printf("Deleted Images:\n");
        for (auto& event : report.events)
            std::printf("%s: %s\n",
                        event.kind == image::RemovalEvent::Kind::Untagged ? "untagged" : "deleted",
                        event.what.c_str());
        std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n",
                human_size(static_cast<double>(report.reclaimed_bytes)).c_str());
    return {};
}

Result<void> save_images(CliContext& context, const std::vector<std::string>& names,
                         const std::string& output, const std::string& format_name) {
    image::SaveFormat format = image::SaveFormat::Combined;
    if (format_name == "docker" || format_name == "docker-archive")
        format = image::SaveFormat::Docker;
    else if (format_name == "oci" || format_name == "oci-archive")
        format = image::SaveFormat::Oci;
    else if (!format_name.empty() && format_name != "combined")
        return fail(ErrorKind::InvalidArgument,
                    "unknown save format \"" + format_name + "\" (docker, oci or combined)");
    ImageService* images = TRY(context.images());
    if (output.empty() || output == "-") {
        if (::isatty(STDOUT_FILENO))
            return fail(ErrorKind::InvalidArgument,
                        "cowardly refusing to save to a terminal. Use the -o flag or redirect");
        return images->save(names, STDOUT_FILENO, format);
    }
    // Written next to the target and renamed at the end: a failed save leaves no truncated file.
    std::string temp = output + ".berth-XXXXXX";
    UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) return fail_errno("create " + output);
    ::fchmod(fd.get(), 0644);
    auto saved = images->save(names, fd.get(), format);
    if (saved && ::fsync(fd.get()) != 0) saved = fail_errno("write " + output);
    if (saved && ::rename(temp.c_str(), output.c_str()) != 0)
        saved = fail_errno("rename to " + output);
    if (!saved) ::unlink(temp.c_str());
    return saved;
}

// -q only silences progress output in docker; the "Loaded image" lines are always printed.
Result<void> load_images(CliContext& context, const std::string& input, bool /*quiet*/,
                         const std::string& platform_text) {
    std::optional<image::Platform> platform;
    if (!platform_text.empty()) platform = TRY(image::parse_platform(platform_text));
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (!input.empty() && input != "-") {
        owned = TRY(open_fd(input, O_RDONLY | O_CLOEXEC));
        fd = owned.get();
    } else if (::isatty(STDIN_FILENO)) {
        return fail(ErrorKind::InvalidArgument, "requested load from stdin, but stdin is empty");
    }
    ImageService* images = TRY(context.images());
    image::LoadResult result = TRY(images->load(fd, platform));
    for (auto& line : result.lines)
        std::printf("%s\n", line.c_str());
    return {};
}

struct ImportCommand {
    std::string source;
    std::string reference;
    std::vector<std::string> changes;
    std::string message;
    std::string platform;
};

Result<void> import_image(CliContext& context, const ImportCommand& command) {
    image::ImportOptions options{.changes = command.changes, .message = command.message};
    if (!command.reference.empty()) options.reference = command.reference;
    if (!command.platform.empty()) options.platform = TRY(image::parse_platform(command.platform));
    if (command.source.find("://") != std::string::npos)
        return fail(ErrorKind::Unsupported,
                    "importing from a URL is not supported: download the file first");
    UniqueFd owned;
    int fd = STDIN_FILENO;
    if (command.source != "-") {
        owned = TRY(open_fd(command.source, O_RDONLY | O_CLOEXEC));
        fd = owned.get();
        if (options.message.empty()) options.message = "Imported from " + command.source;
    }
    ImageService* images = TRY(context.images());
    Digest id = TRY(images->import(fd, options));
    std::printf("%s\n", id.str().c_str());
    return {};
}

Result<void> bootstrap_image(CliContext& context, const std::string& what, const std::string& tag,
                             const std::string& mirror, const std::string& busybox) {
    ImageService* images = TRY(context.images());
    Digest id;
    if (what == "busybox") {
        image::BusyboxBootstrap options;
        if (!tag.empty()) options.tag = tag;
        if (!busybox.empty()) options.busybox = busybox;
        id = TRY(image::bootstrap_busybox(*images, options));
        std::printf("Bootstrapped %s\n",
                    image::familiar_tag(TRY(image::normalise_tag(options.tag))).c_str());
    } else if (what == "debian" || what.starts_with("debian:")) {
        image::DebianBootstrap options;
        if (what.starts_with("debian:")) options.suite = what.substr(7);
        options.tag = tag;
        if (!mirror.empty()) options.mirror = mirror;
        std::fprintf(stderr, "Running debootstrap %s (this takes a few minutes)...\n",
                     options.suite.c_str());
        id = TRY(image::bootstrap_debian(*images, options));
        std::printf("Bootstrapped %s\n",
                    (options.tag.empty() ? "debian:" + options.suite : options.tag).c_str());
    } else {
        return fail(ErrorKind::InvalidArgument,
                    "unknown base image \"" + what + "\": choose busybox or debian[:suite]");
    }
    std::printf("%s\n", id.str().c_str());
    return {};
}

Result<void> verify_images(CliContext& context, const std::string& name) {
    ImageService* images = TRY(context.images());
    image::VerifyReport report = TRY(images->verify(name));
    for (auto& problem : report.problems)
        std::printf("%s\n", problem.c_str());
    std::printf(
        "%llu blobs, %s checked: %s\n", static_cast<unsigned long long>(report.blobs_checked),
        human_size(static_cast<double>(report.bytes_checked)).c_str(),
        report.problems.empty() ? "all intact"
                                : (std::to_string(report.problems.size()) + " corrupt").c_str());
    if (!report.problems.empty()) context.exit_code = 1;
    return {};
}

}  // namespace

void add_image_commands(CLI::App& app, CliContext& context) {
    auto* image = app.add_subcommand("image", "Manage images");
    image->require_subcommand(1);

    // images / image ls / image list
    auto images_opts = std::make_shared<ImagesOptions>();
    for (auto* command : {app.add_subcommand("images", "List images"),
                          image->add_subcommand("ls", "List images")}) {
        add_images_flags(command, *images_opts);
        command->callback([&context, images_opts] {
            guarded(context, [&] { return list_images(context, *images_opts); });
        });
    }
    image->get_subcommand("ls")->alias("list");

    auto inspect_names = std::make_shared<std::vector<std::string>>();
    auto inspect_format = std::make_shared<std::string>();
    for (auto* command :
         {app.add_subcommand("inspect", "Return low-level information on images"),
          image->add_subcommand("inspect", "Display detailed information on one or more images")}) {
        command->add_option("name", *inspect_names, "Image name or ID")->required();
        command->add_option("-f,--format", *inspect_format, "Format output using a Go template");
        command->callback([&context, inspect_names, inspect_format] {
            guarded(context,
                    [&] { return inspect_images(context, *inspect_names, *inspect_format); });
        });
    }

    auto rm_names = std::make_shared<std::vector<std::string>>();
    auto rm_force = std::make_shared<bool>(false);
    auto rm_no_prune = std::make_shared<bool>(false);
    for (auto* command : {app.add_subcommand("rmi", "Remove one or more images"),
                          image->add_subcommand("rm", "Remove one or more images")}) {
        command->add_option("image", *rm_names, "Image name or ID")->required();
        command->add_flag("-f,--force", *rm_force, "Force removal of the image");
        command->add_flag("--no-prune", *rm_no_prune, "Do not delete untagged parents");
        command->callback([&context, rm_names, rm_force] {
            guarded(context, [&] { return remove_images(context, *rm_names, *rm_force); });
        });
    }
    image->get_subcommand("rm")->alias("remove");

    auto tag_args = std::make_shared<std::vector<std::string>>();
    for (auto* command :
         {app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"),
          image->add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")}) {
        command->add_option("source target", *tag_args, "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]")
            ->required()
            ->expected(2);
        command->callback([&context, tag_args] {
            guarded(context, [&]() -> Result<void> {
                image::ImageService* images = TRY(context.images());
                return images->tag((*tag_args)[0], (*tag_args)[1]);
            });
        });
    }

    auto history_opts = std::make_shared<HistoryOptions>();
    for (auto* command : {app.add_subcommand("history", "Show the history of an image"),
                          image->add_subcommand("history", "Show the history of an image")}) {
        command->add_option("image", history_opts->image, "Image name or ID")->required();
        command->add_option("-H,--human", history_opts->human,
                            "Print sizes and dates in human readable format");
        command->add_flag("--no-trunc", history_opts->no_trunc, "Don't truncate output");
        command->add_flag("-q,--quiet", history_opts->quiet, "Only show image IDs");
        command->add_option("--format", history_opts->format, "Format output using a Go template");
        command->callback([&context, history_opts] {
            guarded(context, [&] { return show_history(context, *history_opts); });
        });
    }

    auto prune_all = std::make_shared<bool>(false);
    auto prune_force = std::make_shared<bool>(false);
    auto* prune = image->add_subcommand("prune", "Remove unused images");
    prune->add_flag("-a,--all", *prune_all, "Remove all unused images, not just dangling ones");
    prune->add_flag("-f,--force", *prune_force, "Do not prompt for confirmation");
    prune->callback([&context, prune_all, prune_force] {
        guarded(context, [&] { return prune_images(context, *prune_all, *prune_force); });
    });

    auto save_names = std::make_shared<std::vector<std::string>>();
    auto save_output = std::make_shared<std::string>();
    auto save_format = std::make_shared<std::string>();
    for (auto* command :
         {app.add_subcommand(
              "save", "Save one or more images to a tar archive (streamed to STDOUT by default)"),
          image->add_subcommand("save", "Save one or more images to a tar archive")}) {
        command->add_option("image", *save_names, "Image name or ID")->required();
        command->add_option("-o,--output", *save_output, "Write to a file, instead of STDOUT");
        command->add_option("--format", *save_format,
                            "combined (default: docker and OCI in one), docker or oci");
        command->callback([&context, save_names, save_output, save_format] {
            guarded(context,
                    [&] { return save_images(context, *save_names, *save_output, *save_format); });
        });
    }

    auto load_input = std::make_shared<std::string>();
    auto load_quiet = std::make_shared<bool>(false);
    auto load_platform = std::make_shared<std::string>();
    for (auto* command :
         {app.add_subcommand("load", "Load an image from a tar archive or STDIN"),
          image->add_subcommand("load", "Load an image from a tar archive or STDIN")}) {
        command->add_option("-i,--input", *load_input,
                            "Read from tar archive file, instead of STDIN");
        command->add_flag("-q,--quiet", *load_quiet, "Suppress the load output");
        command->add_option("--platform", *load_platform,
                            "Load the image for this platform (os/arch[/variant])");
        command->callback([&context, load_input, load_quiet, load_platform] {
            guarded(context,
                    [&] { return load_images(context, *load_input, *load_quiet, *load_platform); });
        });
    }

    auto import_cmd = std::make_shared<ImportCommand>();
    for (auto* command :
         {app.add_subcommand("import",
                             "Import the contents from a tarball to create a filesystem image"),
          image->add_subcommand(
              "import", "Import the contents from a tarball to create a filesystem image")}) {
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
            guarded(context, [&] { return import_image(context, *import_cmd); });
        });
    }

    auto mount_args = std::make_shared<std::vector<std::string>>();
    auto* mount = image->add_subcommand(
        "mount", "Mount an image's root file system read-only (like podman image mount)");
    mount->add_option("image target", *mount_args, "IMAGE DIRECTORY")->required()->expected(2);
    mount->callback([&context, mount_args] {
        guarded(context, [&]() -> Result<void> {
            image::ImageService* images = TRY(context.images());
            return images->mount((*mount_args)[0], (*mount_args)[1]);
        });
    });
    auto umount_target = std::make_shared<std::string>();
    auto* umount = image->add_subcommand("umount", "Unmount what image mount mounted");
    umount->alias("unmount");
    umount->add_option("target", *umount_target, "DIRECTORY")->required();
    umount->callback([&context, umount_target] {
        guarded(context, [&] { return image::unmount_rootfs(*umount_target); });
    });

    auto bootstrap_what = std::make_shared<std::string>();
    auto bootstrap_tag = std::make_shared<std::string>();
    auto bootstrap_mirror = std::make_shared<std::string>();
    auto bootstrap_busybox = std::make_shared<std::string>();
    auto* bootstrap = image->add_subcommand(
        "bootstrap", "Make a base image from the host: busybox or debian[:suite]");
    bootstrap->add_option("base", *bootstrap_what, "busybox, debian or debian:SUITE")->required();
    bootstrap->add_option("-t,--tag", *bootstrap_tag,
                          "Name the image (default busybox:latest, debian:SUITE)");
    bootstrap->add_option("--mirror", *bootstrap_mirror, "Debian mirror for debootstrap");
    bootstrap->add_option("--busybox", *bootstrap_busybox,
                          "The static busybox binary to use (default /bin/busybox)");
    bootstrap->callback(
        [&context, bootstrap_what, bootstrap_tag, bootstrap_mirror, bootstrap_busybox] {
            guarded(context, [&] {
                return bootstrap_image(context, *bootstrap_what, *bootstrap_tag, *bootstrap_mirror,
                                       *bootstrap_busybox);
            });
        });

    auto verify_name = std::make_shared<std::string>();
    auto* verify =
        image->add_subcommand("verify", "Re-hash stored blobs of one image, or of all images");
    verify->add_option("image", *verify_name, "Image name or ID (default: all)");
    verify->callback([&context, verify_name] {
        guarded(context, [&] { return verify_images(context, *verify_name); });
    });
}

}  // namespace berth::cli
