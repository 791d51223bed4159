// Creating the entries of a layer inside a root directory, and only there.
//
// The root plays "/": the parent of every entry is resolved with RootResolver (openat2
// RESOLVE_IN_ROOT), so ".." and symlinks, even ones the layer planted a moment ago, stay inside.
// The final component is always made with *at() calls on that parent's fd and never followed:
// O_CREAT|O_EXCL|O_NOFOLLOW, AT_SYMLINK_NOFOLLOW, and a path already there is removed first, so a
// symlink in the way is replaced rather than written through.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/path_in_root.h"
#include "base/unique_fd.h"

namespace berth::image {

// A layer entry's name made relative to the root: leading "/" and "./" go, "." and empty
// components drop out and ".." takes one away. Empty means the root itself; nullopt means the
// name climbs above the root ("../x", "a/../../x").
std::optional<std::string> clean_layer_path(std::string_view name);

enum class EntryType { Regular, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo };

struct Xattr {
    std::string name;
    std::string value;
};

struct TreeEntry {
    EntryType type = EntryType::Regular;
    std::string_view path;  // cleaned (clean_layer_path), not the root
    std::string_view link;  // Symlink: the target, as is. Hardlink: the cleaned target path.
    mode_t mode = 0644;     // permission bits with setuid, setgid and sticky
    uid_t uid = 0;
    gid_t gid = 0;
    dev_t rdev = 0;
    timespec atime{};
    timespec mtime{};
    std::span<const Xattr> xattrs;
};

// Writes a regular file's contents to the fd it is given.
using FileData = std::function<Result<void>(int fd)>;

struct TreeWriterOptions {
    bool preserve_ownership = true;
    bool allow_device_nodes = true;
};

// Not thread-safe. Nothing else may change the tree while a TreeWriter works on it.
class TreeWriter {
  public:
    static Result<TreeWriter> open(const std::string& root, TreeWriterOptions options);

    // Creates (or replaces) one entry. Missing parents are made as 0755 directories. Directory
    // modes and times are applied by finish(), after all their children are in place.
    Result<void> add(const TreeEntry& entry, const FileData& data);
    // An overlayfs whiteout (0:0 char device) at entry.path, with the entry's owner and times.
    Result<void> add_whiteout(const TreeEntry& entry);
    // Marks the directory at `path` (cleaned; "" is the root) opaque, creating it if missing.
    Result<void> mark_opaque(std::string_view path);
    // Applies the modes and times of the directories added.
    Result<void> finish();

  private:
    struct DirRecord {
        std::string path;
        dev_t dev = 0;
        ino_t ino = 0;
        mode_t mode = 0;
        timespec atime{};
        timespec mtime{};
        bool removed = false;
    };

    TreeWriter(UniqueFd root, TreeWriterOptions options);

    // The directory that holds `path`'s last component, and that component.
    Result<int> parent_of(std::string_view path, std::string_view& name);
    Result<int> directory_fd(std::string_view dir);
    // Removes what is at parent/name (a directory with all it holds).
    Result<void> remove_existing(int parent, std::string_view path, const char* name);
    // Runs `create` and, when something already holds the name, removes it and runs it again.
    template <typename Create>
    Result<void> create_replacing(int parent, std::string_view path, const char* name,
                                  const char* what, Create create);

    Result<void> add_directory(const TreeEntry& entry, int parent, const char* name);
    Result<void> add_regular(const TreeEntry& entry, int parent, const char* name,
                             const FileData& data);
    Result<void> add_hardlink(const TreeEntry& entry, int parent, const char* name);
    // Owner, xattrs, mode (unless a symlink) and times of a just-made non-directory, by name.
    Result<void> apply_metadata_at(const TreeEntry& entry, int parent, const char* name);
    Result<void> set_xattrs(const TreeEntry& entry, int fd, int parent, const char* name);
    bool needs_chown(const TreeEntry& entry) const;

    UniqueFd root_;
    RootResolver resolver_;
    TreeWriterOptions options_;
    uid_t euid_;
    gid_t egid_;
    bool root_setgid_ = false;

    // The last parent directory resolved: entries of one directory come one after another.
    std::string cached_dir_;
    UniqueFd cached_fd_;
    bool cache_valid_ = false;

    std::vector<DirRecord> dirs_;
    std::unordered_map<std::string, size_t> dir_index_;
};

}  // namespace berth::image
