#include "runtime/state.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "base/clock.h"
#include "base/fs.h"

namespace berth::runtime {

std::string_view to_string(Status status) {
    switch (status) {
        case Status::Creating:
            return "creating";
        case Status::Created:
            return "created";
        case Status::Running:
            return "running";
        case Status::Paused:
            return "paused";
        case Status::Stopped:
            return "stopped";
    }
    return "unknown";
}

Result<void> validate_container_id(std::string_view id) {
    if (id.empty()) return fail(ErrorKind::InvalidArgument, "container id cannot be empty");
    if (id.size() > 255)
        return fail(ErrorKind::InvalidArgument,
                    "container id is too long (255 characters at most)");
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == '+';
        if (!ok)
            return fail(ErrorKind::InvalidArgument,
                        "invalid container id \"" + std::string(id) + "\"");
    }
    if (id == "." || id == "..")
        return fail(ErrorKind::InvalidArgument, "invalid container id \"" + std::string(id) + "\"");
    return {};
}

uint64_t process_start_time(pid_t pid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    auto text = read_file(path);
    if (!text) return 0;
    // The command name (field 2) may hold spaces and parentheses: parse from the last ')'.
    auto close = text->rfind(')');
    if (close == std::string::npos || close + 2 >= text->size()) return 0;
    char state = (*text)[close + 2];
    if (state == 'Z' || state == 'X') return 0;
    // Fields after ')' start at field 3 (state); start time is field 22.
    size_t pos = close + 2;
    for (int field = 3; field < 22; ++field) {
        pos = text->find(' ', pos);
        if (pos == std::string::npos) return 0;
        ++pos;
    }
    return std::strtoull(text->c_str() + pos, nullptr, 10);
}

Json record_to_json(const ContainerRecord& r) {
    return {{"id", r.id},
            {"pid", r.pid},
            {"pid_start_time", r.pid_start_time},
            {"bundle", r.bundle},
            {"rootfs", r.rootfs},
            {"created", r.created},
            {"owner", r.owner},
            {"annotations", r.annotations},
            {"detached_from_fifo", r.detached_from_fifo},
            {"has_hooks", r.has_hooks},
            {"cgroup_paths", r.cgroup_paths}};
}

Result<ContainerRecord> record_from_json(const Json& j) {
    ContainerRecord r;
    TRY(get_optional(j, "id", r.id, "state"));
    TRY(get_optional(j, "pid", r.pid, "state"));
    TRY(get_optional(j, "pid_start_time", r.pid_start_time, "state"));
    TRY(get_optional(j, "bundle", r.bundle, "state"));
    TRY(get_optional(j, "rootfs", r.rootfs, "state"));
    TRY(get_optional(j, "created", r.created, "state"));
    TRY(get_optional(j, "owner", r.owner, "state"));
    TRY(get_optional(j, "annotations", r.annotations, "state"));
    TRY(get_optional(j, "detached_from_fifo", r.detached_from_fifo, "state"));
    TRY(get_optional(j, "has_hooks", r.has_hooks, "state"));
    TRY(get_optional(j, "cgroup_paths", r.cgroup_paths, "state"));
    return r;
}

std::string LockedContainer::path(std::string_view name) const {
    return join_path(dir_, name);
}

Result<ContainerRecord> LockedContainer::load() const {
    auto doc = TRY(read_json_file(path("state.json")));
    return record_from_json(doc);
}

Result<void> LockedContainer::save(const ContainerRecord& record) const {
    // The state lives in /run (tmpfs) and means nothing after a reboot: no fsync needed.
    return write_file_atomic(path("state.json"), record_to_json(record).dump(), 0600,
                             Durability::Volatile);
}

Status LockedContainer::status(const ContainerRecord& record) const {
    if (record.pid <= 0) return Status::Creating;
    uint64_t start = process_start_time(record.pid);
    if (start == 0 || start != record.pid_start_time) return Status::Stopped;
    if (path_exists(path("exec.fifo"))) return Status::Created;
    return Status::Running;
}

Result<void> LockedContainer::destroy() {
    auto r = remove_all(dir_);
    lock_.reset();
    return r;
}

static Result<UniqueFd> lock_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + dir);
    UniqueFd owned(fd);
    while (::flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) return fail_errno("lock " + dir);
    }
    return owned;
}

Result<LockedContainer> StateStore::create(const std::string& id) const {
    TRY(validate_container_id(id));
    TRY(mkdir_all(root_, 0700));
    std::string dir = join_path(root_, id);
    if (::mkdir(dir.c_str(), 0711) < 0) {
        if (errno == EEXIST)
            return fail(ErrorKind::AlreadyExists,
                        "container with id \"" + id + "\" already exists");
        return fail_errno("mkdir " + dir);
    }
    auto lock = TRY(lock_dir(dir));
    return LockedContainer(dir, std::move(lock));
}

Result<LockedContainer> StateStore::open(const std::string& id) const {
    TRY(validate_container_id(id));
    std::string dir = join_path(root_, id);
    auto not_found = [&] {
        return fail(ErrorKind::NotFound, "container \"" + id + "\" does not exist");
    };
    auto lock = lock_dir(dir);
    if (!lock) {
        if (lock.error().sys_errno() == ENOENT) return not_found();
        return fail(std::move(lock).error());
    }
    // The directory may have been removed while we waited for the lock.
    struct stat st {};
    if (::fstatat(lock->get(), ".", &st, 0) < 0 || st.st_nlink == 0) return not_found();
    return LockedContainer(dir, std::move(*lock));
}

Result<std::vector<std::string>> StateStore::list() const {
    std::vector<std::string> ids;
    DIR* dir = ::opendir(root_.c_str());
    if (dir == nullptr) {
        if (errno == ENOENT) return ids;
        return fail_errno("open " + root_);
    }
    while (auto* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name == "." || name == ".." || entry->d_type != DT_DIR) continue;
        ids.push_back(std::move(name));
    }
    ::closedir(dir);
    std::sort(ids.begin(), ids.end());
    return ids;
}

}  // namespace berth::runtime
