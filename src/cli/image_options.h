// Options of the image commands, shared by their two back ends: the daemon (the Docker Engine
// API, the default) and the local image store (when --root or BERTH_ROOT is given).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "cli/cli_context.h"

namespace berth::cli {

struct ImagesOptions {
    std::string repository;
    bool all = false;
    bool quiet = false;
    bool no_trunc = false;
    bool digests = false;
    std::string format;
    std::vector<std::string> filters;
};

struct HistoryOptions {
    std::string image;
    bool human = true;
    bool no_trunc = false;
    bool quiet = false;
    std::string format;
};

struct ImportCommand {
    std::string source;
    std::string reference;
    std::vector<std::string> changes;
    std::string message;
    std::string platform;
};

// `images` output from Docker Engine API image summaries (GET /images/json), shared by both back
// ends: one row per tag (or one untagged row), docker's columns and --format.
Result<void> print_image_list(const Json& summaries, const ImagesOptions& options);

// `history` output from GET /images/{name}/history entries, shared by both back ends.
Result<void> print_image_history(const Json& history, const HistoryOptions& options);

// `image prune`'s question in docker's words; true to go on (always when forced).
bool confirm_image_prune(bool all, bool force);
// `image prune`'s report from ImagesDeleted entries ({"Untagged": …} / {"Deleted": …}).
void print_image_prune(const Json& deleted, double reclaimed_bytes);

// The local store back end: the image service opened on --root, no daemon involved.
namespace store {
Result<void> list_images(CliContext& context, const ImagesOptions& options);
Result<void> inspect_images(CliContext& context, const std::vector<std::string>& names,
                            const std::string& format);
Result<void> remove_images(CliContext& context, const std::vector<std::string>& names, bool force);
Result<void> tag_image(CliContext& context, const std::string& source, const std::string& target);
Result<void> show_history(CliContext& context, const HistoryOptions& options);
Result<void> prune_images(CliContext& context, bool all, bool force);
Result<void> save_images(CliContext& context, const std::vector<std::string>& names,
                         const std::string& output, const std::string& format_name);
Result<void> load_images(CliContext& context, const std::string& input,
                         const std::string& platform_text);
Result<void> import_image(CliContext& context, const ImportCommand& command);
// Store maintenance, local only: `image bootstrap` writes a reproducible base image (fixed
// times, its own history) straight into the store, `image verify` re-hashes blobs.
Result<void> bootstrap_image(CliContext& context, const std::string& what, const std::string& tag,
                             const std::string& mirror, const std::string& busybox);
Result<void> verify_images(CliContext& context, const std::string& name);
}  // namespace store

}  // namespace berth::cli
