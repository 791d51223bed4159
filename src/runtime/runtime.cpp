#include "runtime/runtime.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "base/child_process.h"
#include "base/fs.h"
#include "base/parse_int.h"
#include "runtime/cgroups/cgroup_layout.h"
#include "runtime/cgroups/device_rules.h"
#include "runtime/container_init.h"
#include "runtime/hooks.h"
#include "runtime/namespaces.h"
#include "runtime/network_namespace.h"
#include "runtime/seccomp.h"
#include "runtime/supervisor.h"
#include "runtime/sync_socket.h"

namespace berth::runtime {

namespace {

// Waits until the process behind pidfd has exited (it need not be our child).
void wait_for_exit(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    while (::poll(&p, 1, timeout_ms) < 0 && errno == EINTR) {
    }
}

Result<UniqueFd> open_pidfd(pid_t pid) {
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return fail_errno("pidfd_open " + std::to_string(pid));
    return UniqueFd(fd);
}

// Processes that share the pid namespace of `init` (all of them but init's ancestors' world).
std::vector<pid_t> processes_in_pid_namespace(pid_t init) {
    std::vector<pid_t> pids;
    struct stat target {};
    std::string ns = "/proc/" + std::to_string(init) + "/ns/pid";
    if (::stat(ns.c_str(), &target) < 0) return pids;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) return pids;
    while (auto* entry = ::readdir(dir)) {
        auto pid = parse_int<pid_t>(entry->d_name);
        if (!pid) continue;
        struct stat st {};
        std::string path = std::string("/proc/") + entry->d_name + "/ns/pid";
        if (::stat(path.c_str(), &st) == 0 && st.st_ino == target.st_ino &&
            st.st_dev == target.st_dev)
            pids.push_back(*pid);
    }
    ::closedir(dir);
    return pids;
}

}  // namespace

Result<std::unique_ptr<cgroups::CgroupManager>> Runtime::open_cgroup(
    const ContainerRecord& record) const {
    if (record.cgroup_paths.empty()) return std::unique_ptr<cgroups::CgroupManager>();
    return cgroups::open_cgroup_manager(*TRY(cgroup_host()), record.cgroup_paths);
}

Result<const cgroups::CgroupHost*> Runtime::cgroup_host() const {
    if (!cgroup_host_) cgroup_host_ = TRY(cgroups::probe_cgroup_host());
    return &*cgroup_host_;
}

Status Runtime::status_of(const LockedContainer& container, const ContainerRecord& record) const {
    Status status = container.status(record);
    if (status != Status::Running || record.cgroup_paths.empty()) return status;
    if (auto cgroup = open_cgroup(record); cgroup && *cgroup) {
        auto freezer = (*cgroup)->freezer_state();
        if (freezer && *freezer == cgroups::FreezerState::Frozen) return Status::Paused;
    }
    return status;
}

// A failing poststart or poststop hook is only a warning (runtime-spec runtime.md, lifecycle).
void Runtime::run_poststart(const oci::Spec& spec, const ContainerRecord& record) const {
    for (const auto& failure :
         run_every_hook(spec.hooks.poststart, state_json(record, Status::Running), "poststart"))
        log_.warn(failure.message());
}

void Runtime::run_poststop(const oci::Spec& spec, const ContainerRecord& record) const {
    for (const auto& failure :
         run_every_hook(spec.hooks.poststop, state_json(record, Status::Stopped), "poststop"))
        log_.warn(failure.message());
}

Json Runtime::state_json(const ContainerRecord& record, Status status) const {
    Json j = {{"ociVersion", "1.2.0"},
              {"id", record.id},
              {"pid", status == Status::Stopped ? 0 : record.pid},
              {"status", to_string(status)},
              {"bundle", record.bundle},
              {"rootfs", record.rootfs},
              {"created", record.created},
              {"owner", ""}};
    if (!record.annotations.empty()) j["annotations"] = record.annotations;
    return j;
}

Result<void> Runtime::create(const CreateOptions& options) {
    TRY(launch(options, Mode::Create));
    return {};
}

Result<int> Runtime::run(const CreateOptions& options) {
    return launch(options, options.detach ? Mode::RunDetached : Mode::RunForeground);
}

Result<void> Runtime::start(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = status_of(container, record);
    if (status != Status::Created)
        return fail(ErrorKind::Conflict,
                    "cannot start a container that is " + std::string(to_string(status)));
    std::string fifo_path = container.path("exec.fifo");
    int fd = ::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO)
            return fail(ErrorKind::Conflict,
                        "cannot start container " + id + ": its init has exited");
        return fail_errno("open " + fifo_path);
    }
    UniqueFd owned(fd);
    if (::write(fd, "0", 1) != 1) return fail_errno("start container " + id);
    owned.reset();
    if (record.has_hooks) {
        // poststart runs once the program runs: the init keeps its (close-on-exec) end of the
        // fifo until execve, so opening it finds no reader (ENXIO) from then on.
        for (int waited_ms = 0; waited_ms < 60000; ++waited_ms) {
            int probe = ::open(fifo_path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (probe < 0) break;
            ::close(probe);
            ::usleep(1000);  // a bounded poll of the init's progress
        }
    }
    ::unlink(fifo_path.c_str());
    if (record.has_hooks) {
        auto spec = TRY(oci::parse_spec(TRY(read_json_file(container.path("config.json")))));
        run_poststart(spec, record);
    }
    return {};
}

Result<Json> Runtime::state(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    return state_json(record, status_of(container, record));
}

Result<std::vector<Json>> Runtime::list() {
    std::vector<Json> out;
    for (const auto& id : TRY(store_.list())) {
        auto container = store_.open(id);
        if (!container) continue;
        auto record = container->load();
        if (!record) continue;
        out.push_back(state_json(*record, status_of(*container, *record)));
    }
    return out;
}

Result<void> Runtime::kill(const std::string& id, int signal, bool all) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = container.status(record);
    if (status == Status::Stopped) return fail(ErrorKind::Conflict, "container not running");
    auto pidfd = TRY(open_pidfd(record.pid));
    // The start time check guards against a recycled pid; the pidfd against one recycled since.
    if (process_start_time(record.pid) != record.pid_start_time)
        return fail(ErrorKind::Conflict, "container not running");
    if (all) {
        if (auto cgroup = TRY(open_cgroup(record))) return cgroup->kill_all(signal);
    }
    if (all && namespace_differs(record.pid, "pid")) {
        for (pid_t pid : processes_in_pid_namespace(record.pid))
            ::kill(pid, signal);
        return {};
    }
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), signal, nullptr, 0) < 0) {
        if (errno == ESRCH) return fail(ErrorKind::Conflict, "container not running");
        return fail_errno("signal container " + id);
    }
    return {};
}

Result<std::vector<pid_t>> Runtime::pids(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (container.status(record) == Status::Stopped) return std::vector<pid_t>{};
    if (auto cgroup = TRY(open_cgroup(record))) return cgroup->pids();
    if (namespace_differs(record.pid, "pid")) return processes_in_pid_namespace(record.pid);
    return std::vector<pid_t>{record.pid};
}

Result<void> Runtime::pause(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    Status status = status_of(container, record);
    if (status != Status::Running)
        return fail(ErrorKind::Conflict,
                    "container " + id + " is not running: " + std::string(to_string(status)));
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup)
        return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup to freeze");
    return cgroup->freeze();
}

Result<void> Runtime::resume(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) != Status::Paused)
        return fail(ErrorKind::Conflict, "container " + id + " is not paused");
    auto cgroup = TRY(open_cgroup(record));
    return cgroup->thaw();
}

Result<void> Runtime::update(const std::string& id, const Json& resources) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) == Status::Stopped)
        return fail(ErrorKind::Conflict, "container " + id + " is not running");
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup)
        return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup to update");
    return cgroup->apply(resources);
}

Result<Json> Runtime::stats(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    if (status_of(container, record) == Status::Stopped)
        return fail(ErrorKind::Conflict, "container " + id + " is not running");
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup) return fail(ErrorKind::Unsupported, "container " + id + " has no cgroup");
    return cgroups::stats_event_json(id, TRY(cgroup->stats()));
}

Result<uint64_t> Runtime::oom_kills(const std::string& id) {
    auto container = TRY(store_.open(id));
    auto record = TRY(container.load());
    auto cgroup = TRY(open_cgroup(record));
    if (!cgroup) return uint64_t{0};
    return cgroup->oom_kill_count();
}

Result<void> Runtime::remove(const std::string& id, bool force) {
    auto container = store_.open(id);
    if (!container) {
        // `delete --force` of something that does not exist is not an error for runc's callers.
        if (force && container.error().kind() == ErrorKind::NotFound) return {};
        return fail(std::move(container).error());
    }
    auto record = container->load();
    if (!record) {
        // A create that died half-way: nothing runs, only the directory is left.
        return container->destroy();
    }
    Status status = status_of(*container, *record);
    if ((status == Status::Running || status == Status::Paused) && !force)
        return fail(ErrorKind::Conflict,
                    "cannot delete container " + id +
                        " that is not stopped: " + std::string(to_string(status)));
    if (status != Status::Stopped) {
        auto pidfd = open_pidfd(record->pid);
        if (pidfd) {
            // Killing the init of a pid namespace kills everything in it.
            ::syscall(SYS_pidfd_send_signal, pidfd->get(), SIGKILL, nullptr, 0);
            wait_for_exit(pidfd->get(), 10000);
        }
    }
    if (auto cgroup = open_cgroup(*record); cgroup && *cgroup) {
        // A paused container must be thawed for its processes to die.
        (void)(*cgroup)->thaw();
        if (status != Status::Stopped) (void)(*cgroup)->kill_all(SIGKILL);
        TRY_CTX((*cgroup)->destroy(), "remove cgroup");
    }
    if (record->has_hooks) {
        if (auto doc = read_json_file(container->path("config.json"))) {
            if (auto spec = oci::parse_spec(*doc)) run_poststop(*spec, *record);
        }
    }
    return container->destroy();
}

}  // namespace berth::runtime
