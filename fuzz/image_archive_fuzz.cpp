// `berth load` of any archive: ImageService::load must never crash, and a load that fails must
// leave the image list as it was (an image becomes visible only when all of it is stored) and no
// unpack leftovers in the snapshotter's tmp/.
//
// One store for the whole run, under a private /tmp (see private_tmp.h), holding one image
// ("busybox:latest", imported from a tiny directory) that loads may displace. After a load that
// succeeds, every image is pruned and the base image imported again.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "base/fs.h"
#include "fuzz_util.h"
#include "image/image_service.h"
#include "private_tmp.h"

namespace img = berth::image;

namespace {

std::unique_ptr<img::ImageService> service;
std::string base_dir;
size_t runs = 0;

using ImageKey = std::tuple<std::string, std::string, std::vector<std::string>, int64_t>;

std::vector<ImageKey> images() {
    auto listed = service->list();
    FUZZ_CHECK(listed.has_value(), "list: %s", listed.error().message().c_str());
    std::vector<ImageKey> keys;
    for (auto& image : *listed)
        keys.emplace_back(image.id.str(), image.manifest_digest.str(), image.tags, image.size);
    std::sort(keys.begin(), keys.end());
    return keys;
}

void import_base() {
    auto id = service->import_directory(base_dir, {.reference = "busybox:latest"});
    FUZZ_CHECK(id.has_value(), "import base image: %s", id.error().message().c_str());
}

std::string describe(const std::vector<ImageKey>& keys) {
    std::string out;
    for (auto& [id, manifest, tags, size] : keys) {
        out += "\n    " + id + " " + std::to_string(size);
        for (auto& tag : tags)
            out += " " + tag;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    use_private_tmp("image_archive_fuzz");
    char pattern[] = "/tmp/berth-archive-fuzz.XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern) != nullptr, "mkdtemp: %s", std::strerror(errno));
    std::string root = pattern;
    base_dir = root + "/base";
    FUZZ_CHECK(berth::mkdir_all(base_dir + "/bin").has_value() &&
                   berth::write_file(base_dir + "/bin/sh", "#!/bin/true\n", 0755).has_value(),
               "base image tree");
    auto opened = img::ImageService::open(root + "/store");
    FUZZ_CHECK(opened.has_value(), "open store: %s", opened.error().message().c_str());
    service = std::move(*opened);
    import_base();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (4 << 20)) return -1;
    int fd = ::memfd_create("archive", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0, "memfd_create: %s", std::strerror(errno));
    berth::UniqueFd owned(fd);
    FUZZ_CHECK(berth::write_all(fd, std::string_view(reinterpret_cast<const char*>(data), size))
                       .has_value() &&
                   ::lseek(fd, 0, SEEK_SET) == 0,
               "write memfd");

    auto before = images();
    auto loaded = service->load(fd);
    auto leftovers = list_names(service->snapshotter().root() + "/tmp");
    FUZZ_CHECK(leftovers.empty(), "load left %s in %s/tmp", leftovers.begin()->c_str(),
               service->snapshotter().root().c_str());
    if (!loaded) {
        FUZZ_CHECK(!loaded.error().message().empty(), "empty error");
        auto after = images();
        FUZZ_CHECK(after == before, "a failed load (%s) changed the images from:%s\n  to:%s",
                   loaded.error().message().c_str(), describe(before).c_str(),
                   describe(after).c_str());
    } else {
        auto after = images();
        for (auto& id : loaded->image_ids)
            FUZZ_CHECK(
                std::any_of(after.begin(), after.end(),
                            [&](const ImageKey& key) { return std::get<0>(key) == id.str(); }),
                "loaded image %s is not listed", id.str().c_str());
        auto pruned = service->prune(true);
        FUZZ_CHECK(pruned.has_value(), "prune: %s", pruned.error().message().c_str());
        import_base();
    }
    if (++runs % 256 == 0) {
        auto gc = service->collect_garbage();
        FUZZ_CHECK(gc.has_value(), "gc: %s", gc.error().message().c_str());
    }
    return 0;
}
