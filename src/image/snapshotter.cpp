#include "image/snapshotter.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>

#include "base/fs.h"

namespace berth::image {
namespace {

bool valid_key(const std::string& key) {
    if (key.empty() || key.size() > 128 || key == "." || key == "..") return false;
    for (char c : key)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return true;
}

Result<std::vector<std::string>> list_dir(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return fail_errno("list " + dir);
    while (auto* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
}

// Overlay through the new mount API, one "lowerdir+" per layer, so the number of layers is not
// limited by the page-sized option string of mount(2). Returns false when the kernel predates
// lowerdir+ (6.8), so the caller can fall back.
Result<bool> mount_overlay_fsconfig(const std::vector<std::string>& lowers_top_first,
                                    const std::string& upper, const std::string& work,
                                    const std::string& target, bool disposable) {
    int fs = static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC));
    if (fs < 0) return false;
    UniqueFd fs_fd(fs);
    for (auto& lower : lowers_top_first) {
        if (::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir+", lower.c_str(), 0) != 0) {
            if (errno == EINVAL) return false;
            return fail_errno("overlay lower layer " + lower);
        }
    }
    if (!upper.empty()) {
        if (::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", upper.c_str(), 0) != 0)
            return fail_errno("overlay upperdir " + upper);
        if (::syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", work.c_str(), 0) != 0)
            return fail_errno("overlay workdir " + work);
        // Best effort: an overlay without it only costs a sync at unmount.
        if (disposable)
            (void)::syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", nullptr, 0);
    }
    if (::syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
        return fail_errno("create overlay");
    unsigned int attrs = upper.empty() ? MOUNT_ATTR_RDONLY : 0;
    int mnt = static_cast<int>(::syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs));
    if (mnt < 0) return fail_errno("fsmount overlay");
    UniqueFd mnt_fd(mnt);
    if (::syscall(SYS_move_mount, mnt, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
        return fail_errno("move overlay mount to " + target);
    return true;
}

Result<void> mount_overlay_legacy(const std::vector<std::string>& lowers_top_first,
                                  const std::string& upper, const std::string& work,
                                  const std::string& target) {
    std::string options = "lowerdir=";
    for (size_t i = 0; i < lowers_top_first.size(); ++i) {
        if (i) options += ':';
        options += lowers_top_first[i];
    }
    if (!upper.empty()) options += ",upperdir=" + upper + ",workdir=" + work;
    if (options.size() >= static_cast<size_t>(::getpagesize()))
        return fail(ErrorKind::Unsupported,
                    "too many layers for this kernel's overlay mount options (" +
                        std::to_string(lowers_top_first.size()) + " layers)");
    unsigned long flags = upper.empty() ? MS_RDONLY : 0;
    if (::mount("overlay", target.c_str(), "overlay", flags, options.c_str()) != 0)
        return fail_errno("mount overlay on " + target);
    return {};
}

}  // namespace

Result<OverlaySnapshotter> OverlaySnapshotter::open(std::string root) {
    for (const char* sub : {"layers", "active", "tmp"})
        TRY(mkdir_all(join_path(root, sub), 0700));
    return OverlaySnapshotter(std::move(root));
}

std::string OverlaySnapshotter::layer_path(const Digest& chain_id) const {
    return join_path(root_, "layers/" + chain_id.hex());
}

bool OverlaySnapshotter::has_layer(const Digest& chain_id) const {
    return path_exists(layer_path(chain_id));
}

Result<std::string> OverlaySnapshotter::make_temp_dir() const {
    std::string pattern = join_path(root_, "tmp/layer-XXXXXX");
    if (!::mkdtemp(pattern.data())) return fail_errno("create temp dir under " + root_);
    ::chmod(pattern.c_str(), 0755);
    return pattern;
}

Result<bool> OverlaySnapshotter::commit_layer(const std::string& temp_dir,
                                              const Digest& chain_id) const {
    std::string target = layer_path(chain_id);
    // RENAME_NOREPLACE: two loads of the same layer race here; the loser's copy is dropped.
    if (::renameat2(AT_FDCWD, temp_dir.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0)
        return true;
    if (errno != EEXIST) return fail_errno("commit layer " + chain_id.str());
    TRY(remove_all(temp_dir));
    return false;
}

Result<void> OverlaySnapshotter::remove_layer(const Digest& chain_id) const {
    // Rename first so a crash mid-removal never leaves a half-deleted layer under its real name.
    std::string doomed = join_path(root_, "tmp/removing-" + chain_id.hex());
    if (::rename(layer_path(chain_id).c_str(), doomed.c_str()) != 0) {
        if (errno == ENOENT) return {};
        return fail_errno("remove layer " + chain_id.str());
    }
    return remove_all(doomed);
}

Result<std::vector<Digest>> OverlaySnapshotter::list_layers() const {
    std::vector<Digest> out;
    for (auto& name : TRY(list_dir(join_path(root_, "layers"))))
        if (auto digest = Digest::parse("sha256:" + name)) out.push_back(*digest);
    return out;
}

Result<void> OverlaySnapshotter::clean_temp() const {
    for (auto& name : TRY(list_dir(join_path(root_, "tmp"))))
        TRY(remove_all(join_path(root_, "tmp/" + name)));
    return {};
}

Result<void> OverlaySnapshotter::prepare_active(const std::string& key) const {
    if (!valid_key(key))
        return fail(ErrorKind::InvalidArgument, "invalid snapshot key \"" + key + "\"");
    std::string dir = join_path(root_, "active/" + key);
    if (::mkdir(dir.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            return fail(ErrorKind::AlreadyExists, "snapshot \"" + key + "\" already exists");
        return fail_errno("create snapshot " + key);
    }
    TRY(mkdir_all(dir + "/upper", 0755));
    TRY(mkdir_all(dir + "/work", 0700));
    return {};
}

std::string OverlaySnapshotter::upper_dir(const std::string& key) const {
    return join_path(root_, "active/" + key + "/upper");
}

Result<void> OverlaySnapshotter::remove_active(const std::string& key) const {
    if (!valid_key(key))
        return fail(ErrorKind::InvalidArgument, "invalid snapshot key \"" + key + "\"");
    return remove_all(join_path(root_, "active/" + key));
}

Result<std::string> OverlaySnapshotter::retire_active(const std::string& key) const {
    if (!valid_key(key))
        return fail(ErrorKind::InvalidArgument, "invalid snapshot key \"" + key + "\"");
    std::string doomed = join_path(root_, "tmp/removing-" + key);
    if (::rename(join_path(root_, "active/" + key).c_str(), doomed.c_str()) != 0) {
        if (errno == ENOENT) return std::string();
        return fail_errno("remove snapshot " + key);
    }
    return doomed;
}

Result<void> OverlaySnapshotter::unretire_active(const std::string& key,
                                                 const std::string& retired) const {
    if (!valid_key(key) || retired != join_path(root_, "tmp/removing-" + key))
        return fail(ErrorKind::InvalidArgument, "invalid retired snapshot \"" + retired + "\"");
    if (::rename(retired.c_str(), join_path(root_, "active/" + key).c_str()) != 0)
        return fail_errno("restore snapshot " + key);
    return {};
}

Result<std::vector<std::string>> OverlaySnapshotter::list_active() const {
    return list_dir(join_path(root_, "active"));
}

Result<void> OverlaySnapshotter::mount(const std::vector<Digest>& chain_ids,
                                       const std::optional<std::string>& active_key,
                                       const std::string& target, bool disposable) const {
    std::vector<std::string> lowers;
    for (auto it = chain_ids.rbegin(); it != chain_ids.rend(); ++it) {
        if (!has_layer(*it))
            return fail(ErrorKind::NotFound, "layer " + it->str() + " is not unpacked");
        lowers.push_back(layer_path(*it));
    }
    std::string upper, work;
    if (active_key) {
        if (!valid_key(*active_key))
            return fail(ErrorKind::InvalidArgument, "invalid snapshot key \"" + *active_key + "\"");
        upper = upper_dir(*active_key);
        work = join_path(root_, "active/" + *active_key + "/work");
        if (!path_exists(upper))
            return fail(ErrorKind::NotFound, "snapshot \"" + *active_key + "\" does not exist");
    }
    if (lowers.empty()) {
        // An image with no layers (FROM scratch): an empty read-only lower of our own.
        std::string empty = join_path(root_, "empty");
        TRY(mkdir_all(empty, 0755));
        lowers.push_back(empty);
    }
    if (upper.empty() && lowers.size() == 1) {
        // overlayfs wants two lowers without an upper; one layer read-only is a bind mount.
        if (::mount(lowers[0].c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
            return fail_errno("bind " + lowers[0] + " on " + target);
        if (::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) !=
            0) {
            int err = errno;
            ::umount2(target.c_str(), MNT_DETACH);
            return fail_errno("make " + target + " read-only", err);
        }
        return {};
    }
    if (TRY(mount_overlay_fsconfig(lowers, upper, work, target, disposable))) return {};
    return mount_overlay_legacy(lowers, upper, work, target);
}

Result<void> unmount_rootfs(const std::string& target) {
    if (::umount2(target.c_str(), 0) != 0) return fail_errno("unmount " + target);
    return {};
}

}  // namespace berth::image
