#include "runtime/rootfs.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "base/fs.h"
#include "base/mountinfo.h"
#include "base/path_in_root.h"
#include "runtime/mount_options.h"

namespace berth::runtime {

namespace {

struct DefaultDevice {
    const char* path;
    unsigned major, minor;
};

constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

constexpr const char* kDevSymlinks[][2] = {
    {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

std::string dirname_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos || slash == 0) return "/";
    return path.substr(0, slash);
}

std::string basename_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Flags of the mount holding `path` that an unprivileged remount must keep ("locked" flags).
unsigned long locked_flags(const char* path) {
    struct statvfs st {};
    if (::statvfs(path, &st) < 0) return 0;
    unsigned long flags = 0;
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
    return flags;
}

Result<void> do_mount(const char* source, const std::string& target, const char* type,
                      unsigned long flags, const char* data, const std::string& what) {
    if (::mount(source, target.c_str(), type, flags, data) < 0) return fail_errno(what);
    return {};
}

// Applies recursive attributes ("rro", "rnosuid"…) to the mount tree at fd.
Result<void> set_recursive_attributes(int fd, const MountOptions& opts, const std::string& what) {
    if (opts.recursive_set == 0 && opts.recursive_clear == 0) return {};
    mount_attr attr{};
    attr.attr_set = opts.recursive_set;
    attr.attr_clr = opts.recursive_clear;
    if (::syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return fail_errno("set recursive attributes on " + what);
    return {};
}

// The host's node at `path`, opened without following a symlink and only if it is the device
// the configuration names: what a user namespace binds in place of mknod.
Result<UniqueFd> open_host_device(const std::string& path, mode_t type, dev_t number) {
    auto node = TRY(open_fd(path, O_PATH | O_NOFOLLOW));
    struct stat st {};
    if (::fstat(node.get(), &st) < 0) return fail_errno("stat " + path);
    if ((st.st_mode & S_IFMT) != type || st.st_rdev != number)
        return fail(ErrorKind::InvalidArgument, "the host's " + path + " is not the device " +
                                                    std::string(type == S_IFBLK ? "b " : "c ") +
                                                    std::to_string(major(number)) + ":" +
                                                    std::to_string(minor(number)));
    return node;
}

class RootfsBuilder {
  public:
    RootfsBuilder(const oci::Spec& spec, const RootfsOptions& options, int root_fd)
        : spec_(spec), options_(options), resolver_(root_fd) {}

    Result<void> mount_all() {
        for (const auto& m : spec_.mounts)
            TRY(mount_entry(m));
        return {};
    }

    Result<void> create_devices() {
        bool dev_is_bind = false;
        for (const auto& m : spec_.mounts) {
            if (clean_path(m.destination) != "/dev") continue;
            auto opts = parse_mount_options(m.options);
            dev_is_bind = opts.bind || m.type == "bind";
        }
        if (dev_is_bind) return {};  // the host's /dev, devices and all
        for (const auto& d : kDefaultDevices) {
            oci::Device dev{"c", d.path, d.major, d.minor, 0666, 0, 0};
            TRY(create_device(dev));
        }
        for (const auto& dev : spec_.linux.devices)
            TRY(create_device(dev));
        for (const auto& [target, link] : kDevSymlinks) {
            auto parent = TRY(resolver_.ensure(dirname_of(link), CreateMode::Directory));
            if (::symlinkat(target, parent.get(), basename_of(link).c_str()) < 0 && errno != EEXIST)
                return fail_errno(std::string("symlink ") + link);
        }
        if (path_exists("/proc/kcore")) {
            auto parent = TRY(resolver_.ensure("/dev", CreateMode::Directory));
            (void)::symlinkat("/proc/kcore", parent.get(), "core");
        }
        return {};
    }

    // Mounts that must become read-only once everything inside them exists (e.g. a "ro" /dev).
    const std::vector<std::string>& deferred_readonly() const { return deferred_readonly_; }

  private:
    void warn(std::string text) const {
        if (options_.warnings) options_.warnings->push_back(std::move(text));
    }

    Result<void> mount_entry(const oci::Mount& m) {
        MountOptions opts = parse_mount_options(m.options);
        std::string dest = clean_path(m.destination);
        std::string what = "mount " + (m.source.empty() ? m.type : m.source) + " on " + dest;
        if (!m.uid_mappings.is_null() || !m.gid_mappings.is_null())
            warn("mounts: idmapped mount of " + dest + " is not applied yet");
        if (opts.tmpcopyup) warn("mounts: tmpcopyup on " + dest + " is not applied yet");
        if (m.type == "bind" || opts.bind) return bind_mount(m, dest, opts, what);
        if (m.type == "cgroup" || m.type == "cgroup2") {
            if (options_.before_cgroup_mount) TRY(options_.before_cgroup_mount());
            return mount_cgroup(dest, opts, what);
        }
        if (m.type.empty())
            return fail(ErrorKind::InvalidArgument, what + ": mount type is missing");

        UniqueFd target;
        if (m.type == "proc" || m.type == "sysfs") {
            // proc and sysfs must land on a real directory: a symlink in the image could
            // otherwise aim them at some other place of the rootfs.
            auto existing = resolver_.open(dest, O_PATH | O_NOFOLLOW);
            if (existing) {
                struct stat st {};
                if (::fstat(existing->get(), &st) == 0 && !S_ISDIR(st.st_mode))
                    return fail(
                        ErrorKind::InvalidArgument,
                        what + ": destination is not a directory (symlinks are not allowed)");
                target = std::move(*existing);
            } else {
                target = TRY_CTX(resolver_.ensure(dest, CreateMode::Directory), what);
            }
        } else {
            target = TRY_CTX(resolver_.ensure(dest, CreateMode::Directory), what);
        }

        unsigned long flags = opts.flags & ~MS_REMOUNT;
        bool defer_ro = dest == "/dev" && (flags & MS_RDONLY);
        if (defer_ro) flags &= ~MS_RDONLY;
        std::string target_path = fd_path(target.get());
        const char* source = m.source.empty() ? m.type.c_str() : m.source.c_str();
        const char* data = opts.data.empty() ? nullptr : opts.data.c_str();
        if (::mount(source, target_path.c_str(), m.type.c_str(), flags, data) < 0) {
            int err = errno;
            // sysfs cannot be mounted in a user namespace that does not own the network
            // namespace: like runc, fall back to a recursive bind of the host's /sys.
            if (m.type == "sysfs" && (err == EPERM || err == EBUSY) && options_.in_user_namespace) {
                TRY(do_mount("/sys", target_path, nullptr, MS_BIND | MS_REC, nullptr, what));
            } else if (m.type == "mqueue" && err == EPERM && options_.in_user_namespace) {
                TRY(do_mount("/dev/mqueue", target_path, nullptr, MS_BIND | MS_REC, nullptr, what));
            } else {
                return fail_errno(what, err);
            }
        }
        if (defer_ro) deferred_readonly_.push_back(dest);
        return apply_after_mount(dest, opts, what);
    }

    // Propagation and recursive attributes need the new mount itself: reopen the destination.
    Result<void> apply_after_mount(const std::string& dest, const MountOptions& opts,
                                   const std::string& what) {
        if (opts.propagation == 0 && opts.recursive_set == 0 && opts.recursive_clear == 0)
            return {};
        auto mounted = TRY_CTX(resolver_.open(dest, O_PATH | O_NOFOLLOW), what);
        std::string path = fd_path(mounted.get());
        if (opts.propagation)
            TRY(do_mount(nullptr, path, nullptr, opts.propagation, nullptr,
                         what + " (propagation)"));
        TRY(set_recursive_attributes(mounted.get(), opts, dest));
        return {};
    }

    Result<void> bind_mount(const oci::Mount& m, const std::string& dest, const MountOptions& opts,
                            const std::string& what) {
        std::string source = m.source;
        if (source.empty())
            return fail(ErrorKind::InvalidArgument, what + ": bind mount needs a source");
        if (source.front() != '/') source = join_path(options_.bundle, source);
        struct stat st {};
        if (::stat(source.c_str(), &st) < 0) return fail_errno(what);
        auto target = TRY_CTX(
            resolver_.ensure(dest, S_ISDIR(st.st_mode) ? CreateMode::Directory : CreateMode::File),
            what);
        std::string target_path = fd_path(target.get());
        unsigned long bind_flags = MS_BIND | (opts.flags & MS_REC);
        TRY(do_mount(source.c_str(), target_path, nullptr, bind_flags, nullptr, what));
        unsigned long extra = opts.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (extra != 0) {
            // A bind mount takes flags only on a remount.
            auto mounted = TRY_CTX(resolver_.open(dest, O_PATH | O_NOFOLLOW), what);
            std::string path = fd_path(mounted.get());
            unsigned long remount = MS_BIND | MS_REMOUNT | extra;
            if (::mount(nullptr, path.c_str(), nullptr, remount, nullptr) < 0) {
                if (errno != EPERM) return fail_errno(what + " (remount)");
                // The kernel locked some flags of the source (a mount owned by another user
                // namespace): keep them and try again.
                remount |= locked_flags(path.c_str()) & ~MS_RDONLY;
                TRY(do_mount(nullptr, path, nullptr, remount, nullptr, what + " (remount)"));
            }
        }
        return apply_after_mount(dest, opts, what);
    }

    // On a cgroup v2 host: a cgroup2 mount. On v1 and hybrid hosts: a tmpfs holding a bind of
    // each hierarchy's cgroup of this process, the way runc does it without a cgroup namespace.
    Result<void> mount_cgroup(const std::string& dest, const MountOptions& opts,
                              const std::string& what) {
        bool unified = false;
        {
            struct stat st {};
            unified = ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
        }
        auto target = TRY_CTX(resolver_.ensure(dest, CreateMode::Directory), what);
        std::string target_path = fd_path(target.get());
        unsigned long flags = opts.flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
        if (unified) {
            if (::mount("cgroup2", target_path.c_str(), "cgroup2", flags, nullptr) < 0) {
                // Without a cgroup namespace of our own the kernel may refuse; bind the host's.
                TRY(do_mount("/sys/fs/cgroup", target_path, nullptr, MS_BIND | MS_REC, nullptr,
                             what));
            }
            return apply_after_mount(dest, opts, what);
        }
        TRY(do_mount("tmpfs", target_path, "tmpfs", (flags & ~MS_RDONLY), "mode=755", what));
        auto cgroup_root = TRY_CTX(resolver_.open(dest, O_PATH | O_DIRECTORY), what);
        RootResolver in_cgroup(cgroup_root.get());
        auto hierarchies = cgroup_hierarchies(TRY_CTX(read_file("/proc/self/mountinfo"), what));
        auto own_cgroups = read_file("/proc/self/cgroup").value_or("");
        for (const auto& [mount_point, super_opts] : hierarchies)
            TRY(mount_hierarchy(in_cgroup, mount_point, super_opts, own_cgroups, flags, what));
        link_comounted(hierarchies, cgroup_root.get());
        if (flags & MS_RDONLY) {
            auto reopened = TRY_CTX(resolver_.open(dest, O_PATH | O_DIRECTORY), what);
            TRY(do_mount(
                nullptr, fd_path(reopened.get()), nullptr,
                MS_BIND | MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)),
                nullptr, what + " (read-only)"));
        }
        return {};
    }

    // One v1 hierarchy (or the hybrid's cgroup2) under the tmpfs: a fresh mount in the
    // container's own cgroup namespace, else a bind of this process's cgroup there.
    Result<void> mount_hierarchy(RootResolver& in_cgroup, const std::string& mount_point,
                                 const std::string& super_opts, const std::string& own_cgroups,
                                 unsigned long flags, const std::string& what) {
        std::string name = basename_of(mount_point);
        auto dir = TRY_CTX(in_cgroup.ensure(name, CreateMode::Directory), what);
        std::string dir_path = fd_path(dir.get());
        if (options_.own_cgroup_namespace) {
            // In its own cgroup namespace a fresh mount shows the container's cgroup as root.
            bool v2 = super_opts.empty();
            std::string data = v2 ? std::string() : controllers_of(super_opts);
            TRY(do_mount(v2 ? "cgroup2" : "cgroup", dir_path, v2 ? "cgroup2" : "cgroup",
                         MS_NOSUID | MS_NODEV | MS_NOEXEC, data.empty() ? nullptr : data.c_str(),
                         what + "/" + name));
        } else {
            // Without one, bind the process's own cgroup of each hierarchy, never its root.
            std::string sub = cgroup_path_for(own_cgroups, name, super_opts);
            std::string source = mount_point + (sub == "/" ? "" : sub);
            TRY(do_mount(source.c_str(), dir_path, nullptr, MS_BIND | MS_REC, nullptr,
                         what + "/" + name));
        }
        auto bound = TRY_CTX(in_cgroup.open(name, O_PATH), what);
        std::string bound_path = fd_path(bound.get());
        (void)::mount(nullptr, bound_path.c_str(), nullptr,
                      MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC | (flags & MS_RDONLY),
                      nullptr);
        return {};
    }

    // Each cgroup hierarchy under /sys/fs/cgroup: its mount point and, for v1, its super options
    // (empty for cgroup2).
    static std::vector<std::pair<std::string, std::string>> cgroup_hierarchies(
        const std::string& mountinfo) {
        std::vector<std::pair<std::string, std::string>> hierarchies;
        for (auto& m : parse_mountinfo(mountinfo)) {
            if ((m.fstype != "cgroup" && m.fstype != "cgroup2") ||
                !m.mount_point.starts_with("/sys/fs/cgroup/"))
                continue;
            hierarchies.emplace_back(m.mount_point, m.fstype == "cgroup2" ? "" : m.super_options);
        }
        return hierarchies;
    }

    // Comounted hierarchies ("cpu,cpuacct") are also reachable by each controller's name.
    static void link_comounted(const std::vector<std::pair<std::string, std::string>>& hierarchies,
                               int cgroup_root) {
        for (const auto& [mount_point, super_opts] : hierarchies) {
            std::string name = basename_of(mount_point);
            if (name.find(',') == std::string::npos) continue;
            std::istringstream parts(name);
            std::string part;
            while (std::getline(parts, part, ','))
                (void)::symlinkat(name.c_str(), cgroup_root, part.c_str());
        }
    }

    // The mount data of a v1 hierarchy from its super options ("rw,cpu,cpuacct" -> "cpu,cpuacct").
    static std::string controllers_of(const std::string& super_opts) {
        std::string out;
        std::istringstream parts(super_opts);
        std::string part;
        while (std::getline(parts, part, ',')) {
            if (part == "rw" || part == "ro" || part.rfind("release_agent=", 0) == 0) continue;
            if (!out.empty()) out += ',';
            out += part;
        }
        return out;
    }

    // The path of this process in hierarchy `name` (e.g. "memory", "cpu,cpuacct", "unified").
    static std::string cgroup_path_for(const std::string& proc_cgroup, const std::string& name,
                                       const std::string& super_opts) {
        std::istringstream lines(proc_cgroup);
        std::string line;
        while (std::getline(lines, line)) {
            auto first = line.find(':');
            auto second = line.find(':', first + 1);
            if (first == std::string::npos || second == std::string::npos) continue;
            std::string controllers = line.substr(first + 1, second - first - 1);
            std::string path = line.substr(second + 1);
            if (controllers.empty() && (name == "unified" || super_opts.empty())) return path;
            if (controllers.empty()) continue;
            if (controllers == name) return path;
            if (controllers == "name=" + name) return path;
            if (super_opts.find("name=" + name) != std::string::npos &&
                controllers == "name=" + name)
                return path;
        }
        return "/";
    }

    Result<void> create_device(const oci::Device& dev) {
        std::string path = clean_path(dev.path);
        std::string what = "create device " + path;
        auto parent = TRY_CTX(resolver_.ensure(dirname_of(path), CreateMode::Directory), what);
        std::string name = basename_of(path);
        mode_t type = dev.type == "b" ? S_IFBLK : dev.type == "p" ? S_IFIFO : S_IFCHR;
        mode_t perm = dev.file_mode.value_or(0666) & 07777;
        dev_t number = makedev(static_cast<unsigned>(dev.major), static_cast<unsigned>(dev.minor));
        struct stat st {};
        if (::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if ((st.st_mode & S_IFMT) == type && st.st_rdev == number) return {};
            // Something else is in the way (a file of the image): replace it.
            if (::unlinkat(parent.get(), name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
                return fail_errno(what);
        }
        bool made = false;
        if (!options_.in_user_namespace) {
            if (::mknodat(parent.get(), name.c_str(), type | perm, number) == 0) {
                made = true;
            } else if (errno != EPERM) {
                return fail_errno(what);
            }
        }
        if (!made) {
            // In a user namespace mknod is not allowed: bind the host's node instead.
            if (type == S_IFIFO)
                return fail(ErrorKind::Unsupported, what + ": fifo in a user namespace");
            auto source = TRY_CTX(open_host_device(dev.path, type, number), what);
            int fd = ::openat(parent.get(), name.c_str(),
                              O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0000);
            if (fd < 0) return fail_errno(what);
            UniqueFd placeholder(fd);
            TRY(do_mount(fd_path(source.get()).c_str(), fd_path(placeholder.get()), nullptr,
                         MS_BIND, nullptr, "bind " + dev.path + " on " + path));
            return {};
        }
        if (::fchmodat(parent.get(), name.c_str(), perm, 0) < 0)
            return fail_errno(what + " (chmod)");
        if ((dev.uid || dev.gid) && ::fchownat(parent.get(), name.c_str(), dev.uid.value_or(0),
                                               dev.gid.value_or(0), AT_SYMLINK_NOFOLLOW) < 0)
            return fail_errno(what + " (chown)");
        return {};
    }

    const oci::Spec& spec_;
    const RootfsOptions& options_;
    RootResolver resolver_;
    std::vector<std::string> deferred_readonly_;
};

Result<void> switch_root(const std::string& rootfs, bool no_pivot) {
    if (::chdir(rootfs.c_str()) < 0) return fail_errno("chdir " + rootfs);
    if (!no_pivot) {
        int old_root = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (old_root < 0) return fail_errno("open /");
        UniqueFd old_root_fd(old_root);
        if (::syscall(SYS_pivot_root, ".", ".") == 0) {
            // The old root now sits under the new one: detach it, without letting the unmount
            // propagate to the host.
            if (::fchdir(old_root) < 0) return fail_errno("fchdir old root");
            TRY(do_mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr, "make old root slave"));
            if (::umount2(".", MNT_DETACH) < 0) return fail_errno("unmount old root");
            if (::chdir("/") < 0) return fail_errno("chdir /");
            return {};
        }
        if (errno != EINVAL) return fail_errno("pivot_root " + rootfs);
        // EINVAL: the rootfs is on the initramfs, where pivot_root cannot work.
    }
    TRY(do_mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr, "move " + rootfs + " to /"));
    if (::chroot(".") < 0) return fail_errno("chroot " + rootfs);
    if (::chdir("/") < 0) return fail_errno("chdir /");
    return {};
}

// The node masked files are bound over: the container's /dev/null, opened without following a
// symlink and only if it is the null device. An image (or anything racing us on a shared /dev)
// could otherwise put a symlink or a file there, and each "mask" would bind some other file,
// e.g. a writable /proc/sys/kernel/core_pattern (CVE-2025-31133).
Result<UniqueFd> open_null_device(const RootResolver& resolver) {
    auto null = TRY_CTX(resolver.open("/dev/null", O_PATH | O_NOFOLLOW), "mask paths");
    struct stat st {};
    if (::fstat(null.get(), &st) < 0) return fail_errno("mask paths: stat /dev/null");
    if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
        return fail(ErrorKind::InvalidArgument,
                    "mask paths: the container's /dev/null is not the null device (character "
                    "device 1:3), refusing to bind it over masked paths");
    return null;
}

Result<void> remount_readonly(const std::string& path, const std::string& what) {
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path.c_str());
    return do_mount(nullptr, path, nullptr, flags, nullptr, what);
}

}  // namespace

Result<void> prepare_rootfs(const oci::Spec& spec, const RootfsOptions& options) {
    const std::string& propagation = spec.linux.rootfs_propagation;
    // Nothing we mount may propagate back to the host.
    unsigned long initial = (propagation == "private" || propagation == "rprivate")
                                ? MS_PRIVATE | MS_REC
                                : MS_SLAVE | MS_REC;
    TRY(do_mount(nullptr, "/", nullptr, initial, nullptr,
                 "make / " + std::string(initial & MS_PRIVATE ? "rprivate" : "rslave")));
    // pivot_root needs the new root to be a mount point.
    TRY(do_mount(options.rootfs.c_str(), options.rootfs, nullptr, MS_BIND | MS_REC, nullptr,
                 "bind mount rootfs " + options.rootfs));

    int root_fd = ::open(options.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) return fail_errno("open rootfs " + options.rootfs);
    UniqueFd root(root_fd);
    RootfsBuilder builder(spec, options, root_fd);
    TRY(builder.mount_all());
    TRY(builder.create_devices());
    if (options.before_switch) TRY(options.before_switch());
    TRY(switch_root(options.rootfs, options.no_pivot));
    for (const auto& dest : builder.deferred_readonly())
        TRY(remount_readonly(dest, "remount " + dest + " read-only"));
    if (unsigned long p = propagation_flags(propagation))
        TRY(do_mount(nullptr, "/", nullptr, p, nullptr, "set rootfs propagation " + propagation));
    return {};
}

Result<void> finalize_rootfs(const oci::Spec& spec, bool in_user_namespace) {
    (void)in_user_namespace;
    int root_fd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) return fail_errno("open /");
    UniqueFd root(root_fd);
    RootResolver resolver(root_fd);
    for (const auto& path : spec.linux.readonly_paths) {
        auto target = resolver.open(path, O_PATH | O_NOFOLLOW);
        if (!target) {
            if (target.error().sys_errno() == ENOENT) continue;
            return fail(std::move(target).error().context("readonly path " + path));
        }
        std::string fdp = fd_path(target->get());
        TRY(do_mount(fdp.c_str(), fdp, nullptr, MS_BIND | MS_REC, nullptr,
                     "bind readonly path " + path));
        auto mounted = TRY_CTX(resolver.open(path, O_PATH | O_NOFOLLOW), "readonly path " + path);
        TRY(remount_readonly(fd_path(mounted.get()), "remount " + path + " read-only"));
    }
    UniqueFd null;  // opened and checked when a file is to be masked
    for (const auto& path : spec.linux.masked_paths) {
        auto target = resolver.open(path, O_PATH | O_NOFOLLOW);
        if (!target) {
            if (target.error().sys_errno() == ENOENT) continue;
            return fail(std::move(target).error().context("masked path " + path));
        }
        struct stat st {};
        if (::fstat(target->get(), &st) < 0) return fail_errno("masked path " + path);
        std::string fdp = fd_path(target->get());
        if (S_ISDIR(st.st_mode)) {
            TRY(do_mount("tmpfs", fdp, "tmpfs", MS_RDONLY, nullptr, "mask " + path));
        } else {
            if (!null) null = TRY(open_null_device(resolver));
            TRY(do_mount(fd_path(null.get()).c_str(), fdp, nullptr, MS_BIND, nullptr,
                         "mask " + path));
        }
    }
    if (spec.root.readonly) TRY(remount_readonly("/", "remount rootfs read-only"));
    return {};
}

Result<void> chroot_rootfs(const std::string& rootfs) {
    if (::chdir(rootfs.c_str()) < 0) return fail_errno("chdir " + rootfs);
    if (::chroot(".") < 0) return fail_errno("chroot " + rootfs);
    if (::chdir("/") < 0) return fail_errno("chdir /");
    return {};
}

}  // namespace berth::runtime
