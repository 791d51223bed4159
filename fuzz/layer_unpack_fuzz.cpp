// Image layers from anywhere (a pulled blob, a loaded archive): unpack_layer must never crash and
// never create or change anything outside its target directory, whatever the tar holds ("..",
// absolute names, symlinks and hardlinks pointing out, whiteouts of "..").
//
// Each input is unpacked into a fresh /tmp/berth-unpack-fuzz.XXXXXX/layer/target. Around it:
//   .../layer/canary   an empty directory next to the target, which must stay empty;
//   the whole temp dir, which must hold nothing but layer/, layer/canary/ and the target's tree;
//   /tmp itself, where nothing new may appear. As root, the fuzzer gets a /tmp of its own (a
//   tmpfs in a private mount namespace), so that any new entry there is an escape; otherwise only
//   new entries whose name is in the input count.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include "base/digest.h"
#include "base/fs.h"
#include "fuzz_util.h"
#include "image/layer_unpack.h"
#include "private_tmp.h"

namespace img = berth::image;

namespace {

bool private_tmp = false;

// Every path under `dir` (relative to it), not descending into `skip`.
void walk(const std::string& dir, const std::string& rel, const std::string& skip,
          std::set<std::string>& out) {
    for (auto& name : list_names(dir + "/" + rel)) {
        std::string path = rel.empty() ? name : rel + "/" + name;
        out.insert(path);
        if (path == skip) continue;
        struct stat st {};
        if (::lstat((dir + "/" + path).c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            walk(dir, path, skip, out);
    }
}

int layer_fd() {
    static int fd = [] {
        int made = ::memfd_create("layer", MFD_CLOEXEC);
        FUZZ_CHECK(made >= 0, "memfd_create: %s", std::strerror(errno));
        return made;
    }();
    return fd;
}

bool write_input(int fd, const uint8_t* data, size_t size) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0) return false;
    for (size_t done = 0; done < size;) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) return false;
        done += static_cast<size_t>(n);
    }
    return ::lseek(fd, 0, SEEK_SET) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    private_tmp = use_private_tmp("layer_unpack_fuzz");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (1 << 20)) return -1;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    int fd = layer_fd();
    FUZZ_CHECK(write_input(fd, data, size), "write memfd: %s", std::strerror(errno));

    std::set<std::string> tmp_before = list_names("/tmp");
    char pattern[] = "/tmp/berth-unpack-fuzz.XXXXXX";
    FUZZ_CHECK(::mkdtemp(pattern) != nullptr, "mkdtemp: %s", std::strerror(errno));
    std::string root = pattern;
    std::string target = root + "/layer/target";
    FUZZ_CHECK(::mkdir((root + "/layer").c_str(), 0755) == 0 &&
                   ::mkdir(target.c_str(), 0755) == 0 &&
                   ::mkdir((root + "/layer/canary").c_str(), 0755) == 0,
               "mkdir under %s: %s", root.c_str(), std::strerror(errno));

    // No device nodes other than whiteouts: a bug that wrote through one must not reach this
    // machine's disks. No chown: faster, and the same code paths otherwise.
    auto result =
        img::unpack_layer(fd, target, {.allow_device_nodes = false, .preserve_ownership = false});
    if (!result) {
        FUZZ_CHECK(!result.error().message().empty(), "empty error");
    } else if (img::detect_compression(input.substr(0, 16)) == img::Compression::None) {
        FUZZ_CHECK(result->diff_id == berth::sha256_of(input) && result->uncompressed_size == size,
                   "diffID %s of a plain tar is not its sha256", result->diff_id.str().c_str());
    }

    std::set<std::string> around;
    walk(root, "", "layer/target", around);
    std::set<std::string> expected = {"layer", "layer/canary", "layer/target"};
    for (auto& path : around)
        FUZZ_CHECK(expected.contains(path) || path.starts_with("layer/target/"),
                   "the layer created %s/%s, outside its target", root.c_str(), path.c_str());
    FUZZ_CHECK(around.contains("layer/target") && around.contains("layer/canary"),
               "the layer removed the target or the canary under %s", root.c_str());
    struct stat st {};
    FUZZ_CHECK(::lstat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode),
               "the target is no longer a directory");
    FUZZ_CHECK(::lstat((root + "/layer/canary").c_str(), &st) == 0 && S_ISDIR(st.st_mode),
               "the canary is no longer a directory");

    for (auto& name : list_names("/tmp")) {
        if (tmp_before.contains(name) || "/tmp/" + name == root) continue;
        FUZZ_CHECK(!private_tmp && input.find(name) == std::string_view::npos,
                   "/tmp/%s appeared while unpacking", name.c_str());
    }

    auto removed = berth::remove_all(root);
    FUZZ_CHECK(removed.has_value(), "remove %s: %s", root.c_str(),
               removed.error().message().c_str());
    return 0;
}
