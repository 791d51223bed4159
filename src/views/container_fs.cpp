#include "views/container_fs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <climits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/parse_int.h"
#include "base/path_in_root.h"
#include "base/unique_fd.h"
#include "image/libarchive_loader.h"
#include "image/scoped_locale.h"
#include "spec/user_lookup.h"

namespace berth::views {
namespace {

// Mounts the binds inside the root (this thread's own mount namespace) and chroots there.
Result<void> enter_container_fs(const ContainerFsView& view) {
    int flags = CLONE_FS | (view.binds.empty() ? 0 : CLONE_NEWNS);
    if (::unshare(flags) < 0) return fail_errno("unshare");
    if (!view.binds.empty() && ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) < 0)
        return fail_errno("make / a slave mount");
    // Opened after unshare, so that it sees the binds mounted below.
    int fd = ::open(view.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open root file system " + view.rootfs);
    UniqueFd root(fd);
    RootResolver resolver(root.get());
    for (const auto& bind : view.binds) {
        // The destination is resolved inside the root: a symlink the container planted cannot
        // send the bind elsewhere. One the runtime did not make (or the container removed)
        // is skipped: the root's own content shows there.
        auto dest = resolver.open(bind.container_destination, O_PATH);
        if (!dest) {
            int err = dest.error().sys_errno();
            if (err == ENOENT || err == ENOTDIR) continue;
            return fail(std::move(dest).error().context("bind " + bind.container_destination));
        }
        int src = ::open(bind.host_source.c_str(), O_PATH | O_CLOEXEC);
        if (src < 0) return fail_errno("open bind source " + bind.host_source);
        UniqueFd source(src);
        if (::mount(fd_path(source.get()).c_str(), fd_path(dest->get()).c_str(), nullptr,
                    MS_BIND | MS_REC, nullptr) < 0)
            return fail_errno("bind " + bind.host_source + " on " + bind.container_destination);
        if (bind.read_only) {
            auto mounted = TRY(resolver.open(bind.container_destination, O_PATH));
            if (::mount(nullptr, fd_path(mounted.get()).c_str(), nullptr,
                        MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0)
                return fail_errno("make " + bind.container_destination + " read-only");
        }
    }
    if (::fchdir(root.get()) < 0) return fail_errno("chdir " + view.rootfs);
    if (::chroot(".") < 0) return fail_errno("chroot " + view.rootfs);
    if (::chdir("/") < 0) return fail_errno("chdir /");
    return {};
}

std::optional<uint32_t> parse_id(std::string_view text) {
    auto id = parse_int<uint32_t>(text);
    if (id && *id > INT32_MAX) return std::nullopt;
    return id;
}

// Lines of /etc/passwd or /etc/group (inside the chroot) split at ':'.
Result<std::vector<std::vector<std::string>>> read_colon_file(const HostFds& host,
                                                              const char* path) {
    std::vector<std::vector<std::string>> rows;
    auto text = TRY(read_container_file(host, path));
    if (!text) return rows;
    std::string_view rest = *text;
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (line.empty() || line.starts_with('#')) continue;
        std::vector<std::string> fields;
        for (;;) {
            size_t colon = line.find(':');
            fields.emplace_back(line.substr(0, colon));
            if (colon == std::string_view::npos) break;
            line.remove_prefix(colon + 1);
        }
        rows.push_back(std::move(fields));
    }
    return rows;
}

}  // namespace

// Runs `job` chrooted into the container's file system on a thread that exists only for it (its
// root and mount namespace die with it).
Result<void> run_in_container_fs(const ContainerFsView& view, const char* locale,
                                 const std::function<Result<void>(const HostFds&)>& job) {
    Result<void> result = fail(ErrorKind::Internal, "container file system job did not run");
    image::load_libarchive();  // its file is on the host
    std::thread worker([&] {
        // A reader that goes away turns into EPIPE here, not a process-killing SIGPIPE.
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, nullptr);
        // Before the chroot: the locale's files live on the host.
        image::ScopedLocale scoped(locale);
        UniqueFd proc_fds(::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!proc_fds) {
            result = fail_errno("open /proc/self/fd");
            return;
        }
        result = enter_container_fs(view);
        if (result) result = job(HostFds{.proc_fds = proc_fds.get()});
    });
    worker.join();
    return result;
}

Result<std::optional<std::string>> read_container_file(const HostFds& host, std::string_view path) {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno("open the container's root");
    return spec::read_file_in_root(root.get(), host.proc_fds, path);
}

Result<void> set_xattr_at_fd(const HostFds& host, int fd, const std::string& name,
                             std::string_view value) {
    // No setxattrat() before Linux 6.13, and fsetxattr() refuses O_PATH fds: the path of the
    // fd's magic link in our /proc does it (the link leads to the inode itself, unfollowed).
    UniqueFd here(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!here) return fail_errno("open the working directory");
    if (::fchdir(host.proc_fds) < 0) return fail_errno("chdir to /proc/self/fd");
    int rc = ::setxattr(std::to_string(fd).c_str(), name.c_str(), value.data(), value.size(), 0);
    int err = errno;
    // Back inside the root at once. Should that fail, the job must end (the thread and its
    // file system context with it) rather than go on with relative paths outside the root.
    if (::fchdir(here.get()) < 0) return fail_errno("chdir back into the container's root");
    if (rc < 0) return std::unexpected(Error::from_errno("set xattr " + name, err));
    return {};
}

IdNames read_id_names(const HostFds& host) {
    IdNames names;
    auto fill = [&](const char* path, std::map<uint32_t, std::string>& out) {
        auto rows = read_colon_file(host, path);
        if (!rows) return;
        for (const auto& row : *rows)
            if (row.size() > 2 && !row[0].empty())
                if (auto id = parse_id(row[2])) out.try_emplace(*id, row[0]);
    };
    fill("/etc/passwd", names.users);
    fill("/etc/group", names.groups);
    return names;
}

// dockerd's getUIDGID: "user[:group]", each a name or a number; a uid alone takes its passwd
// entry's group, or 0 when it has none.
Result<std::pair<uid_t, gid_t>> resolve_user_in_container(const HostFds& host,
                                                          std::string_view spec) {
    auto colon = spec.find(':');
    std::string_view user = spec.substr(0, colon);
    std::string_view group = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
    uid_t uid = 0;
    gid_t gid = 0;
    if (!user.empty()) {
        auto passwd = TRY(read_colon_file(host, "/etc/passwd"));
        auto id = parse_id(user);
        bool found = false;
        for (const auto& row : passwd) {
            if (row.size() < 4) continue;
            bool match = id ? parse_id(row[2]) == id : row[0] == user;
            if (!match) continue;
            auto u = parse_id(row[2]);
            auto g = parse_id(row[3]);
            if (!u || !g) continue;
            uid = *u;
            gid = *g;
            found = true;
            break;
        }
        if (!found) {
            if (!id)
                return fail(ErrorKind::InvalidArgument, "failed to look up user \"" +
                                                            std::string(user) +
                                                            "\" in container: no matching entries "
                                                            "in passwd file");
            uid = *id;
            gid = 0;
        }
    }
    if (!group.empty()) {
        if (auto id = parse_id(group)) {
            gid = *id;
        } else {
            bool found = false;
            for (const auto& row : TRY(read_colon_file(host, "/etc/group"))) {
                if (row.size() < 3 || row[0] != group) continue;
                if (auto g = parse_id(row[2])) {
                    gid = *g;
                    found = true;
                    break;
                }
            }
            if (!found)
                return fail(ErrorKind::InvalidArgument, "failed to look up group \"" +
                                                            std::string(group) +
                                                            "\" in container: no matching entries "
                                                            "in group file");
        }
    }
    return std::pair{uid, gid};
}

}  // namespace berth::views
