// ImageService::collect_leftovers: the start-up sweep of what killed or failed loads left.
#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>

#include "base/fs.h"
#include "image/image_service.h"

namespace berth::image {
namespace {

// Free bytes of the file system under `path`: what the sweep freed is the difference (a walk
// of every layer to sum its files would cost the start far more).
uint64_t available_bytes(const std::string& path) {
    struct statvfs fs {};
    if (::statvfs(path.c_str(), &fs) != 0) return 0;
    return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::string megabytes(uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

}  // namespace

void ImageService::collect_leftovers(const std::function<void(std::string_view)>& log) {
    std::string temp = join_path(root_, "snapshots/tmp");
    std::error_code error;
    size_t temp_entries = 0;
    for (auto it = std::filesystem::directory_iterator(temp, error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error))
        ++temp_entries;
    uint64_t before = available_bytes(root_);
    // A damaged image (an unreadable manifest or config) may reference any blob or layer.
    std::string unreadable;
    for (auto& image : list().value_or(std::vector<ImageRecord>{})) {
        auto manifest = manifest_of(image);
        auto config = config_of(image);
        if (!manifest || !config) {
            unreadable = "image " + image.id.str() + " cannot be read (" +
                         (manifest ? config.error() : manifest.error()).message() + ")";
            break;
        }
    }
    GcReport report;
    std::string kept;
    if (!unreadable.empty()) {
        kept = "; blobs and layers kept: " + unreadable;
        if (auto cleaned = snapshotter_.clean_temp(); !cleaned)
            kept += "; " + cleaned.error().message();
    } else if (auto collected = collect_garbage(false)) {
        report = *collected;
    } else {
        // (collect_garbage empties snapshots/tmp last: without it, empty it here.)
        kept = "; blobs and layers kept: " + collected.error().message();
        (void)snapshotter_.clean_temp();
    }
    if (temp_entries == 0 && report.blobs_removed == 0 && report.layers_removed == 0 &&
        kept.empty())
        return;
    uint64_t after = available_bytes(root_);
    log("collected leftovers of interrupted loads and removals: " + std::to_string(temp_entries) +
        " in snapshots/tmp, " + std::to_string(report.blobs_removed) + " unreferenced blobs, " +
        std::to_string(report.layers_removed) + " unreferenced layers; " +
        megabytes(after > before ? after - before : 0) + " freed" + kept);
}

}  // namespace berth::image
