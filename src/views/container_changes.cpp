#include "views/container_changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "base/unique_fd.h"
#include "image/whiteout.h"
#include "views/mount_placeholders.h"

namespace berth::views {

namespace {

enum class ChangeKind { Modify = 0, Add = 1, Delete = 2 };

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// What the comparison looks at for one file.
struct FileInfo {
    struct stat st {};
    std::string capability;  // security.capability, empty when none
};

bool is_whiteout(const struct stat& st) {
    return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

std::string join(const std::string& dir, std::string_view name) {
    return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// parent_fd/name without following name: the parent through its /proc link (our own fd).
std::string proc_path(int parent_fd, const std::string& name) {
    return "/proc/self/fd/" + std::to_string(parent_fd) + "/" + name;
}

Result<std::string> read_capability(int parent_fd, const std::string& name) {
    std::string path = proc_path(parent_fd, name);
    char buffer[256];
    ssize_t n = ::lgetxattr(path.c_str(), "security.capability", buffer, sizeof buffer);
    if (n >= 0) return std::string(buffer, static_cast<size_t>(n));
    if (errno == ENODATA || errno == ENOTSUP || errno == EPERM) return std::string();
    if (errno == ERANGE) {  // larger than any v3 capability xattr; read it whole anyway
        ssize_t size = ::lgetxattr(path.c_str(), "security.capability", nullptr, 0);
        if (size < 0) return fail_errno("read security.capability of " + name);
        std::string value(static_cast<size_t>(size), '\0');
        size = ::lgetxattr(path.c_str(), "security.capability", value.data(), value.size());
        if (size < 0) return fail_errno("read security.capability of " + name);
        value.resize(static_cast<size_t>(size));
        return value;
    }
    return fail_errno("read security.capability of " + name);
}

bool is_opaque_fd(int dir_fd) {
    char value[2];
    ssize_t n = ::fgetxattr(dir_fd, image::kOverlayOpaqueXattr, value, sizeof value);
    return n == 1 && value[0] == 'y';
}

// Go's sameFsTime: equal, or the same second with either side lacking sub-seconds (tar layers
// carry whole seconds).
bool same_fs_time(const timespec& a, const timespec& b) {
    if (a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec) return true;
    return a.tv_sec == b.tv_sec && (a.tv_nsec == 0 || b.tv_nsec == 0);
}

// moby's statDifferent plus the capability comparison of ChangesDirs.
bool differs(const FileInfo& old_info, const FileInfo& new_info) {
    const struct stat& o = old_info.st;
    const struct stat& n = new_info.st;
    if (o.st_mode != n.st_mode || o.st_uid != n.st_uid || o.st_gid != n.st_gid ||
        o.st_rdev != n.st_rdev)
        return true;
    if (!S_ISDIR(o.st_mode) && (!same_fs_time(o.st_mtim, n.st_mtim) || o.st_size != n.st_size))
        return true;
    return old_info.capability != new_info.capability;
}

Result<std::vector<std::string>> list_names(int dir_fd, const std::string& what) {
    int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + what);
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(fd));
    if (!dir) {
        ::close(fd);
        return fail_errno("opendir " + what);
    }
    std::vector<std::string> names;
    errno = 0;
    while (auto* entry = ::readdir(dir.get())) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
        errno = 0;
    }
    if (errno != 0) return fail_errno("read directory " + what);
    std::sort(names.begin(), names.end());
    return names;
}

// The image's file system as overlayfs would merge its layers, looked up path by path.
// The layers are read-only image content: nothing changes them while this runs.
class LowerView {
  public:
    static Result<LowerView> open(const std::vector<std::string>& dirs) {
        LowerView view;
        for (const auto& dir : dirs) {
            int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) return fail_errno("open layer " + dir);
            view.layers_.emplace_back(fd);
        }
        return view;
    }

    // The merged entry at `path` ("a/b/c"), or nullopt when the image has none.
    Result<std::optional<FileInfo>> lookup(const std::string& path) const {
        std::vector<size_t> active(layers_.size());
        for (size_t i = 0; i < active.size(); ++i)
            active[i] = i;
        size_t pos = 0;
        for (;;) {
            size_t slash = path.find('/', pos);
            bool last = slash == std::string::npos;
            std::string prefix = last ? path : path.substr(0, slash);
            auto [top, dirs] = TRY(resolve(active, prefix));
            if (!top) return std::optional<FileInfo>();
            if (last) return top;
            if (!S_ISDIR(top->st.st_mode)) return std::optional<FileInfo>();
            active = std::move(dirs);
            pos = slash + 1;
        }
    }

    // The names the image's merged directory `dir` ("" is the root) shows.
    Result<std::set<std::string>> children(const std::string& dir) const {
        std::vector<size_t> active(layers_.size());
        for (size_t i = 0; i < active.size(); ++i)
            active[i] = i;
        if (!dir.empty()) {
            size_t pos = 0;
            for (;;) {
                size_t slash = dir.find('/', pos);
                std::string prefix = slash == std::string::npos ? dir : dir.substr(0, slash);
                auto [top, dirs] = TRY(resolve(active, prefix));
                if (!top || !S_ISDIR(top->st.st_mode)) return std::set<std::string>();
                active = std::move(dirs);
                if (slash == std::string::npos) break;
                pos = slash + 1;
            }
        } else {
            // The root: every layer's, down to the first opaque one.
            for (size_t i = 0; i < active.size(); ++i) {
                if (is_opaque_fd(layers_[active[i]].get())) {
                    active.resize(i + 1);
                    break;
                }
            }
        }
        std::set<std::string> visible, hidden;
        for (size_t layer : active) {
            int fd = dir.empty() ? layers_[layer].get() : -1;
            UniqueFd owned;
            if (fd < 0) {
                owned.reset(::openat(layers_[layer].get(), dir.c_str(),
                                     O_RDONLY | O_DIRECTORY | O_CLOEXEC));
                if (!owned) return fail_errno("open lower " + dir);
                fd = owned.get();
            }
            for (auto& name : TRY(list_names(fd, dir))) {
                if (visible.contains(name) || hidden.contains(name)) continue;
                struct stat st {};
                if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
                    return fail_errno("stat lower " + join(dir, name));
                if (is_whiteout(st)) {
                    hidden.insert(name);
                } else {
                    visible.insert(name);
                }
            }
        }
        return visible;
    }

  private:
    struct Resolved {
        std::optional<FileInfo> top;  // the entry the merged view shows
        std::vector<size_t> dirs;     // when a directory: the layers whose directories merge
    };

    // `path` in the layers of `active` (those where its parent is a merged directory).
    Result<Resolved> resolve(const std::vector<size_t>& active, const std::string& path) const {
        Resolved out;
        for (size_t layer : active) {
            int root = layers_[layer].get();
            struct stat st {};
            if (::fstatat(root, path.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT || errno == ENOTDIR) continue;
                return fail_errno("stat lower " + path);
            }
            if (is_whiteout(st)) break;  // deleted here: nothing below shows
            if (!out.top) {
                FileInfo info;
                info.st = st;
                auto slash = path.rfind('/');
                std::string parent = slash == std::string::npos ? "." : path.substr(0, slash);
                std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
                UniqueFd parent_fd(
                    ::openat(root, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
                if (!parent_fd) return fail_errno("open lower " + parent);
                info.capability = TRY(read_capability(parent_fd.get(), name));
                out.top = std::move(info);
            }
            // A directory merges with directories below it; anything else hides them.
            if (!S_ISDIR(st.st_mode) || !S_ISDIR(out.top->st.st_mode)) break;
            out.dirs.push_back(layer);
            UniqueFd dir(::openat(root, path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!dir) return fail_errno("open lower " + path);
            if (is_opaque_fd(dir.get())) break;
        }
        return out;
    }

    std::vector<UniqueFd> layers_;
};

class ChangeCollector {
  public:
    explicit ChangeCollector(const LowerView& lower) : lower_(lower) {}

    // Compares the upper directory `rel` (open as dir_fd) with the image. `in_image`: the image
    // has a directory at `rel`, so its entries can be modified or deleted rather than added.
    Result<void> walk(int dir_fd, const std::string& rel, bool in_image, bool opaque) {
        auto names = TRY(list_names(dir_fd, rel.empty() ? "/" : rel));
        std::set<std::string> upper_names;
        for (const auto& name : names) {
            std::string path = join(rel, name);
            upper_names.insert(name);
            FileInfo info;
            if (::fstatat(dir_fd, name.c_str(), &info.st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT) continue;  // removed by the running container meanwhile
                return fail_errno("stat " + path);
            }
            std::optional<FileInfo> old;
            if (in_image) old = TRY(lower_.lookup(path));
            if (is_whiteout(info.st)) {
                if (old) record(path, ChangeKind::Delete);
                continue;
            }
            info.capability = TRY(read_capability(dir_fd, name));
            if (!old) {
                record(path, ChangeKind::Add);
            } else if (differs(*old, info)) {
                record(path, ChangeKind::Modify);
            }
            if (!S_ISDIR(info.st.st_mode)) continue;
            int fd =
                ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                if (errno == ENOENT) continue;
                return fail_errno("open " + path);
            }
            UniqueFd child(fd);
            bool old_is_dir = old && S_ISDIR(old->st.st_mode);
            TRY(walk(fd, path, old_is_dir, old_is_dir && is_opaque_fd(fd)));
        }
        // An opaque directory hides all the image had there: what the upper lacks is deleted.
        if (opaque) {
            for (const auto& name : TRY(lower_.children(rel)))
                if (!upper_names.contains(name)) record(join(rel, name), ChangeKind::Delete);
        }
        return {};
    }

    Json result(const image::LeftOutPaths& placeholders) {
        hide(placeholders);
        // Every directory above a change is itself reported modified (docker shows them as C).
        std::vector<std::string> paths;
        paths.reserve(changes_.size());
        for (const auto& [path, kind] : changes_)
            paths.push_back(path);
        for (const auto& path : paths) {
            for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
                 slash = path.rfind('/', slash - 1)) {
                changes_.try_emplace(path.substr(0, slash), ChangeKind::Modify);
            }
        }
        if (changes_.empty()) return nullptr;
        Json out = Json::array();
        for (const auto& [path, kind] : changes_)  // std::map: sorted by path, bytewise
            out.push_back({{"Path", "/" + path}, {"Kind", static_cast<int>(kind)}});
        return out;
    }

  private:
    void record(const std::string& path, ChangeKind kind) { changes_[path] = kind; }

    // What the runtime made in the root file system to mount over, as it made it
    // (mount_placeholders.h): docker keeps those in an init layer below the container's, and its
    // diff does not show them.
    void hide(const image::LeftOutPaths& placeholders) {
        auto covered = [&](const std::string& path) {
            for (size_t end = path.size(); end != std::string::npos && end > 0;
                 end = path.rfind('/', end - 1))
                if (placeholders.contains(path.substr(0, end))) return true;
            return false;
        };
        for (auto it = changes_.begin(); it != changes_.end();)
            it = covered(it->first) ? changes_.erase(it) : std::next(it);
    }

    const LowerView& lower_;
    std::map<std::string, ChangeKind> changes_;
};

}  // namespace

Result<Json> container_changes(const std::string& upper_dir,
                               const std::vector<std::string>& lower_dirs) {
    auto lower = TRY_CTX(LowerView::open(lower_dirs), "container changes");
    int fd = ::open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(Error::from_errno("open " + upper_dir).context("container changes"));
    UniqueFd upper(fd);
    ChangeCollector collector(lower);
    TRY_CTX(collector.walk(fd, "", true, is_opaque_fd(fd)), "container changes");
    return collector.result(mount_placeholders_in(upper_dir, lower_dirs));
}

}  // namespace berth::views
