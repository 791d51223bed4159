// RootResolver (base/path_in_root.h), which every open, mkdir and mount inside a container's root
// goes through: the fuzzer builds a small tree of directories, files and symlinks (pointing
// anywhere: "..", "/", absolute paths of the host, loops), then opens or ensures a path in it,
// both ways the resolver can (openat2 RESOLVE_IN_ROOT, and the component walk older kernels get).
// Invariants: what is opened lies inside the root, nothing is created outside it, and the two ways
// open the same file when both succeed.
#include <fcntl.h>
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/path_in_root.h"
#include "fuzz_util.h"
#include "private_tmp.h"

namespace {

namespace fs = std::filesystem;

const std::string kBase = "/tmp/path-in-root-fuzz";

// Names the fuzzer picks from, so that its paths hit the tree it built.
const char* const kComponents[] = {"a", "b", "c", "..", ".", "", "d/e", "outside", "etc"};
// Symlink targets: relative and absolute, up and out, the host's own paths.
const char* const kTargets[] = {"..",
                                "../..",
                                "/",
                                "/..",
                                "a",
                                "../outside",
                                "/tmp",
                                kBase.c_str(),
                                "/proc/self/root",
                                "/proc/self/cwd",
                                "b/../../..",
                                "c",
                                "/a/b",
                                "/etc",
                                "."};

std::string pick_path(FuzzedDataProvider& in) {
    std::string path = in.ConsumeBool() ? "/" : "";
    int parts = in.ConsumeIntegralInRange(0, 5);
    for (int i = 0; i < parts; ++i) {
        if (i > 0) path += '/';
        path += in.ConsumeBool()
                    ? kComponents[in.ConsumeIntegralInRange<size_t>(0, std::size(kComponents) - 1)]
                    : in.ConsumeRandomLengthString(12);
    }
    if (in.ConsumeBool()) path += '/';
    return path;
}

// The directory that will hold a tree entry: its parents (plain names, "a" to "c"), made as
// directories where missing and opened without following anything, so that a symlink the tree
// already has (to "/", "/etc", "..") never takes the building out of the root. Invalid when a
// parent is a symlink or a file.
berth::UniqueFd parent_of_entry(FuzzedDataProvider& in, int root_fd, std::string& name) {
    berth::UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
    int depth = in.ConsumeIntegralInRange(0, 2);
    for (int i = 0; i < depth && dir.valid(); ++i) {
        std::string part(1, "abc"[in.ConsumeIntegralInRange(0, 2)]);
        (void)::mkdirat(dir.get(), part.c_str(), 0755);
        dir.reset(::openat(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    name = std::string(1, "abc"[in.ConsumeIntegralInRange(0, 2)]);
    return dir;
}

void build_tree(FuzzedDataProvider& in, const std::string& root) {
    berth::UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    FUZZ_CHECK(root_fd.valid(), "open %s", root.c_str());
    int entries = in.ConsumeIntegralInRange(0, 8);
    for (int i = 0; i < entries; ++i) {
        std::string name;
        berth::UniqueFd dir = parent_of_entry(in, root_fd.get(), name);
        int kind = in.ConsumeIntegralInRange(0, 2);
        std::string target =
            kind != 2 ? std::string()
            : in.ConsumeBool()
                ? kTargets[in.ConsumeIntegralInRange<size_t>(0, std::size(kTargets) - 1)]
                : in.ConsumeRandomLengthString(40);
        if (!dir.valid()) continue;
        if (kind == 0) {
            (void)::mkdirat(dir.get(), name.c_str(), 0755);
        } else if (kind == 1) {
            int fd = ::openat(dir.get(), name.c_str(),
                              O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (fd >= 0) ::close(fd);
        } else {
            (void)::symlinkat(target.c_str(), dir.get(), name.c_str());
        }
    }
}

// Every entry under `dir`, with its type and (for a symlink) its target.
std::vector<std::string> listing(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        std::string entry = it->path().string().substr(dir.size() + 1);
        if (it->is_symlink(ec))
            entry += " -> " + fs::read_symlink(it->path(), ec).string();
        else if (it->is_directory(ec))
            entry += "/";
        out.push_back(entry);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string where_fd_is(int fd) {
    char target[4096];
    ssize_t n = ::readlink(berth::fd_path(fd).c_str(), target, sizeof target - 1);
    return n < 0 ? std::string() : std::string(target, static_cast<size_t>(n));
}

void check_inside(int fd, const std::string& root, const std::string& path) {
    std::string at = where_fd_is(fd);
    FUZZ_CHECK(at == root || at.starts_with(root + "/"), "'%s' resolved to %s, outside %s",
               path.c_str(), at.c_str(), root.c_str());
}

struct Outcome {
    bool ok = false;
    std::string relative;  // where the fd is, relative to its root
};

Outcome resolve(const std::string& root, bool openat2, bool ensure, berth::CreateMode mode,
                int flags, const std::string& path) {
    berth::UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    FUZZ_CHECK(root_fd.valid(), "open %s", root.c_str());
    berth::RootResolver resolver(root_fd.get(), openat2);
    auto fd = ensure ? resolver.ensure(path, mode) : resolver.open(path, flags);
    if (!fd) return {};
    check_inside(fd->get(), root, path);
    return {true, where_fd_is(fd->get()).substr(root.size())};
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    use_private_tmp("path_in_root_fuzz");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    std::error_code ec;
    fs::remove_all(kBase, ec);
    // Two identical trees, one per way of resolving, and a directory outside both.
    const std::string outside = kBase + "/outside", walk_root = kBase + "/walk",
                      openat2_root = kBase + "/openat2";
    for (const auto& dir : {outside, walk_root, openat2_root})
        fs::create_directories(dir, ec);
    ::close(::open((outside + "/secret").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    size_t tree_bytes = in.ConsumeIntegralInRange<size_t>(0, 256);
    std::vector<uint8_t> tree = in.ConsumeBytes<uint8_t>(tree_bytes);
    for (const auto& root : {walk_root, openat2_root}) {
        FuzzedDataProvider tree_input(tree.data(), tree.size());
        build_tree(tree_input, root);
    }
    std::string path = pick_path(in);
    bool ensure = in.ConsumeBool();
    auto mode = in.ConsumeBool() ? berth::CreateMode::Directory : berth::CreateMode::File;
    int flags = O_PATH;
    if (in.ConsumeBool()) flags |= O_NOFOLLOW;
    if (in.ConsumeBool()) flags |= O_DIRECTORY;
    if (in.ConsumeBool()) flags = (flags & ~O_PATH) | O_RDONLY | O_NONBLOCK;
    auto outside_before = listing(outside);
    std::string tree_listing;
    for (const auto& entry : listing(walk_root))
        tree_listing += "  " + entry + "\n";

    Outcome walked = resolve(walk_root, false, ensure, mode, flags, path);
    bool have_openat2 = berth::RootResolver::openat2_available();
    Outcome opened = have_openat2 ? resolve(openat2_root, true, ensure, mode, flags, path) : walked;
    FUZZ_CHECK(listing(outside) == outside_before, "'%s' changed a directory outside the root",
               path.c_str());
    if (walked.ok && opened.ok)
        FUZZ_CHECK(walked.relative == opened.relative,
                   "%s('%s', flags %#x): the walk opens %s, openat2 opens %s; the tree was:\n%s",
                   ensure ? "ensure" : "open", path.c_str(), flags, walked.relative.c_str(),
                   opened.relative.c_str(), tree_listing.c_str());
    if (ensure && walked.ok && opened.ok)
        FUZZ_CHECK(listing(walk_root) == listing(openat2_root),
                   "ensure('%s') made different trees the two ways", path.c_str());
    return 0;
}
