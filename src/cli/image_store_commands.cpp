// The image commands on the local store (--root): the image service opened in-process, for
// offline store maintenance, tests and benchmarks. Without --root they go through the daemon.
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "base/byte_size.h"
#include "base/fs.h"
#include "cli/container_commands.h"
#include "cli/image_options.h"
#include "cli/list_output.h"
#include "image/bootstrap.h"
#include "image/reference.h"

namespace berth::cli::store {
namespace {

using image::ImageService;

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

}  // namespace

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
    // The daemon filters on its side; here the summaries are filtered tag by tag first.
    Json listed = Json::array();
    for (auto& summary : summaries) {
        std::vector<std::string> tags;
        for (auto& tag : summary["RepoTags"])
            tags.push_back(tag.get<std::string>());
        if (tags.empty()) tags.push_back("");
        Json kept = Json::array();
        bool untagged_kept = false;
        for (auto& tag : tags) {
            if (!TRY(matches_filters(summary, tag, options.filters))) continue;
            std::string repository = tag.empty() ? "<none>" : tag.substr(0, tag.rfind(':'));
            if (!wanted_repo.empty() && wanted_repo != repository && wanted_repo != tag) continue;
            if (tag.empty())
                untagged_kept = true;
            else
                kept.push_back(tag);
        }
        if (kept.empty() && !untagged_kept) continue;
        summary["RepoTags"] = kept;
        listed.push_back(std::move(summary));
    }
    return print_image_list(listed, options);
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

Result<void> show_history(CliContext& context, const HistoryOptions& options) {
    ImageService* images = TRY(context.images());
    Json history = TRY(images->history(options.image));
    return print_image_history(history, options);
}

Result<void> prune_images(CliContext& context, bool all, bool force) {
    if (!confirm_image_prune(all, force)) return {};
    ImageService* images = TRY(context.images());
    image::PruneReport report = TRY(images->prune(all));
    Json deleted = Json::array();
    for (auto& event : report.events) {
        bool untagged = event.kind == image::RemovalEvent::Kind::Untagged;
        deleted.push_back(Json::object({{untagged ? "Untagged" : "Deleted", event.what}}));
    }
    print_image_prune(deleted, static_cast<double>(report.reclaimed_bytes));
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
Result<void> load_images(CliContext& context, const std::string& input,
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

Result<void> tag_image(CliContext& context, const std::string& source, const std::string& target) {
    ImageService* images = TRY(context.images());
    return images->tag(source, target);
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

}  // namespace berth::cli::store
