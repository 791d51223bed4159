// The state directory of containers: <root>/<id>/ holds state.json, a copy of the container's
// config (for `exec`) and, between create and start, exec.fifo. The directory itself is the lock:
// every command that reads or changes a container holds flock() on it, so concurrent commands on
// one id are serialised.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/json.h"
#include "base/unique_fd.h"

namespace berth::runtime {

enum class Status { Creating, Created, Running, Paused, Stopped };
std::string_view to_string(Status status);

// What `create` records about a container.
struct ContainerRecord {
    std::string id;
    pid_t pid = 0;
    uint64_t pid_start_time = 0;  // field 22 of /proc/<pid>/stat: tells a reused pid apart
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339
    uid_t owner = 0;
    std::map<std::string, std::string> annotations;
    bool detached_from_fifo = false;  // started without an exec fifo (`run`)
    bool has_hooks = false;           // the config has hooks: start and delete must read it
    // The container's cgroup directories by controller ("" = unified); empty when it has none.
    std::map<std::string, std::string> cgroup_paths;
};

Json record_to_json(const ContainerRecord& record);
Result<ContainerRecord> record_from_json(const Json& doc);

// A locked container directory. Destroying it releases the lock.
class LockedContainer {
  public:
    LockedContainer(std::string dir, UniqueFd lock)
        : dir_(std::move(dir)), lock_(std::move(lock)) {}
    const std::string& dir() const { return dir_; }
    // The fd holding the lock. A forked child must close it: the flock belongs to the open file,
    // so a child's copy would keep the container locked after we exit.
    int lock_fd() const { return lock_.get(); }
    std::string path(std::string_view name) const;

    Result<ContainerRecord> load() const;
    Result<void> save(const ContainerRecord& record) const;
    // Reads the live status of the recorded init process.
    Status status(const ContainerRecord& record) const;
    // Removes the directory (the lock goes with it).
    Result<void> destroy();

  private:
    std::string dir_;
    UniqueFd lock_;
};

class StateStore {
  public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}
    const std::string& root() const { return root_; }

    // Makes <root>/<id> and locks it; AlreadyExists if the id is taken.
    Result<LockedContainer> create(const std::string& id) const;
    // Locks an existing container; NotFound if there is none.
    Result<LockedContainer> open(const std::string& id) const;
    // The ids of all containers, sorted.
    Result<std::vector<std::string>> list() const;

  private:
    std::string root_;
};

Result<void> validate_container_id(std::string_view id);

// Start time of a process (clock ticks since boot), 0 when it does not exist. A zombie counts as
// gone.
uint64_t process_start_time(pid_t pid);

using berth::rfc3339_now;

}  // namespace berth::runtime
