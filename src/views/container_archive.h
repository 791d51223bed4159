// docker cp and docker export: a container's files as tar streams, both ways.
//
//   HEAD /containers/{id}/archive  -> stat_container_path + encode_path_stat (the header
//                                     X-Docker-Container-Path-Stat)
//   GET  /containers/{id}/archive  -> stat_container_path, then write_container_archive
//   PUT  /containers/{id}/archive  -> extract_into_container
//   GET  /containers/{id}/export   -> export_container
//
// Confinement. Each call runs on a helper thread of its own that unshares its file system context
// (and, when there are binds, its mount namespace), mounts the binds inside the root file system
// there, and chroots into it: every path, symlink and ".." is resolved by the kernel as the
// container would see it, and nothing outside the root (or the binds) can be read or written,
// whatever symlinks the container planted. Extraction additionally goes through TreeWriter rooted
// at the destination directory (openat2 RESOLVE_IN_ROOT), as dockerd confines it with os.Root.
// Needs CAP_SYS_CHROOT (and CAP_SYS_ADMIN with binds): berthd runs as root.
//
// Mounts. Binds and volumes given in `binds` are visible at their destinations, as docker cp sees
// them. tmpfs mounts are not: docker shows a fresh, empty tmpfs there; here the root file
// system's own directory under the mount point shows instead.
//
// Paths follow docker's rules (archive.PreserveTrailingDotOrSeparator & co): the path is cleaned
// as filepath.Join("/", path) does, keeping a trailing "/" or "/." the caller gave. Intermediate
// symlinks are followed; a final symlink is archived as a link unless the path ends in "/" or
// "/.". A directory is archived as itself ("dir/", "dir/file"...), or as its contents for a path
// ending in "/." ("./", "./file"...); a file as one entry named by its base name.
//
// Threading: the caller's thread blocks until the helper finishes; streaming to or from a pipe
// needs another thread on the pipe's far end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::views {

struct BindMount {
    std::string host_source;            // file or directory on the host
    std::string container_destination;  // absolute path in the container
    bool read_only = false;
};

struct ContainerFsView {
    std::string rootfs;            // the container's root file system on the host (merged)
    std::vector<BindMount> binds;  // outermost first, as the runtime mounted them
    std::string container;         // the name or id the client used, for error messages
};

// What HEAD /containers/{id}/archive reports about a path.
struct PathStat {
    std::string name;         // base name of the path
    int64_t size = 0;         // lstat size
    uint32_t mode = 0;        // Go os.FileMode bits (type bits high, permissions low)
    std::string mtime;        // RFC 3339 with nanoseconds, UTC
    std::string link_target;  // a symlink's fully resolved target inside the container, else ""
};

// The X-Docker-Container-Path-Stat value: base64 (standard alphabet) of
// {"name","size","mode","mtime","linkTarget"}.
std::string encode_path_stat(const PathStat& stat);

// Go's os.FileMode bits for a Unix st_mode.
uint32_t go_file_mode(uint32_t st_mode);

// A missing path is NotFound: "Could not find the file PATH in container NAME".
Result<PathStat> stat_container_path(const ContainerFsView& view, std::string_view path);
Result<PathStat> stat_container_path(const std::string& rootfs, std::string_view path);

// Writes an uncompressed tar of `path` to out_fd (not closed).
Result<void> write_container_archive(const ContainerFsView& view, std::string_view path,
                                     int out_fd);
Result<void> write_container_archive(const std::string& rootfs, std::string_view path, int out_fd);

struct ExtractOptions {
    // Refuse to replace a directory by a non-directory or the reverse (docker's
    // noOverwriteDirNonDir query parameter, which docker cp sets).
    bool no_overwrite_dir_non_dir = false;
    // docker cp -a: files take the container's user (Config.User resolved in the container's
    // /etc/passwd and /etc/group: "user", "uid", "user:group", "uid:gid"...). Without it, or
    // with an empty user, files keep the uid/gid of the tar.
    bool copy_uid_gid = false;
    std::string container_user;
};

// Extracts the tar stream read from in_fd (plain, gzip, bzip2, xz or zstd; decompressed
// in-process only) into the existing directory `path` (symlinks followed). A missing path is
// NotFound, a path that is not a directory InvalidArgument ("extraction point is not a
// directory"), as dockerd answers 404 and 400.
Result<void> extract_into_container(const ContainerFsView& view, std::string_view path, int in_fd,
                                    const ExtractOptions& options);
Result<void> extract_into_container(const std::string& rootfs, std::string_view path, int in_fd,
                                    bool no_overwrite_dir_non_dir, bool copy_uid_gid,
                                    std::string_view container_user = {});

// docker export: the whole root file system as an uncompressed tar ("bin/", "bin/sh"...),
// without the binds.
Result<void> export_container(const std::string& rootfs, int out_fd);

// Go's filepath.Join("/", path) keeping a trailing "/" or "/." of `path`
// (archive.PreserveTrailingDotOrSeparator): "a/../../b/." -> "/b/.".
std::string clean_container_path(std::string_view path);

}  // namespace berth::views
