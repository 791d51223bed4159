#include "runtime/cgroups/cgroup_v1.h"

#include <fcntl.h>

#include <signal.h>

#include <algorithm>
#include <ctime>

#include "base/fs.h"
#include "runtime/cgroups/cgroup_tree.h"
#include "runtime/cgroups/stats_readers.h"

namespace berth::runtime::cgroups {

namespace {

bool has(const V1Hierarchy& h, std::string_view controller) {
    return std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end();
}

std::string device_string(int64_t major, int64_t minor) {
    return std::to_string(major) + ":" + std::to_string(minor);
}

int errno_of(const Result<void>& r) {
    return r ? 0 : r.error().sys_errno();
}

}  // namespace

CgroupV1Manager::CgroupV1Manager(std::vector<V1Hierarchy> hierarchies, std::shared_ptr<CgroupIo> io)
    : hierarchies_(std::move(hierarchies)), io_(io ? std::move(io) : real_cgroup_io()) {}

std::vector<V1Hierarchy> CgroupV1Manager::hierarchies_for(const CgroupHost& host,
                                                          const CgroupPath& path) {
    std::vector<V1Hierarchy> out;
    for (const auto& mount : host.v1) {
        // Controller hierarchies and systemd's; other named hierarchies are someone else's.
        bool wanted = std::any_of(
            mount.controllers.begin(), mount.controllers.end(),
            [](const std::string& c) { return !c.starts_with("name=") || c == "name=systemd"; });
        if (!wanted) continue;
        out.push_back({mount.controllers, mount.mount_point, v1_cgroup_dir(host, mount, path)});
    }
    return out;
}

std::string CgroupV1Manager::dir_of(std::string_view controller) const {
    for (const auto& h : hierarchies_) {
        if (has(h, controller)) return h.dir;
    }
    return "";
}

std::string CgroupV1Manager::path() const {
    std::string devices = dir_of("devices");
    if (!devices.empty()) return devices;
    return hierarchies_.empty() ? std::string() : hierarchies_.front().dir;
}

std::map<std::string, std::string> CgroupV1Manager::paths() const {
    std::map<std::string, std::string> out;
    for (const auto& h : hierarchies_) {
        for (const auto& c : h.controllers)
            out[c] = h.dir;
    }
    return out;
}

bool CgroupV1Manager::exists() const {
    std::string p = path();
    return !p.empty() && io_->exists(p);
}

uint32_t CgroupV1Manager::available() const {
    uint32_t mask = 0;
    for (const auto& h : hierarchies_) {
        for (const auto& c : h.controllers)
            mask |= controller_bit(c);
    }
    return mask;
}

Result<void> CgroupV1Manager::write(const std::string& dir, std::string_view file,
                                    std::string_view value) {
    return io_->write(join_path(dir, file), value);
}

Result<void> CgroupV1Manager::make_cpuset_dirs(const V1Hierarchy& h) {
    // A new cpuset cgroup starts with empty cpus and mems, and no process can join it until
    // they are set: fill each new level from its parent.
    TRY(make_cgroup_dirs(*io_, h.mount_point, h.dir));
    std::string top = clean_path(h.mount_point), dir = clean_path(h.dir);
    size_t pos = top.size();
    while (pos != std::string::npos && pos < dir.size()) {
        pos = dir.find('/', pos + 1);
        std::string level = dir.substr(0, pos);
        std::string parent = level.substr(0, level.find_last_of('/'));
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
            auto mine = TRY(read_optional(*io_, join_path(level, file)));
            if (!mine || !trim(*mine).empty()) continue;
            auto theirs = TRY(read_optional(*io_, join_path(parent, file)));
            if (!theirs || trim(*theirs).empty()) continue;
            TRY(write(level, file, trim(*theirs)));
        }
    }
    return {};
}

Result<void> CgroupV1Manager::create() {
    for (const auto& h : hierarchies_) {
        if (has(h, "cpuset")) {
            TRY_CTX(make_cpuset_dirs(h), "create cgroup " + h.dir);
        } else {
            TRY_CTX(make_cgroup_dirs(*io_, h.mount_point, h.dir), "create cgroup " + h.dir);
        }
    }
    return {};
}

Result<void> CgroupV1Manager::add_process(pid_t pid) {
    for (const auto& h : hierarchies_)
        TRY(join_cgroup(*io_, h.dir, pid));
    return {};
}

Result<JoinAtBirth> CgroupV1Manager::prepare_join_at_birth() {
    JoinAtBirth join;
    for (const auto& h : hierarchies_)
        join.self_join.push_back(TRY(io_->open(join_path(h.dir, "tasks"), O_WRONLY)));
    return join;
}

Result<void> CgroupV1Manager::apply_resources(const Resources& r) {
    if (!r.unified.empty())
        return fail(ErrorKind::Unsupported,
                    "linux.resources.unified needs cgroup v2, and this host has cgroup v1");
    uint32_t needed = controllers_needed(r);
    if (uint32_t missing = needed & ~available())
        return fail(ErrorKind::Unsupported, "cannot set " + controller_names(missing) +
                                                " limits: no such cgroup controller is mounted");
    return apply_controllers(r, needed);
}

Result<void> CgroupV1Manager::apply_controllers(const Resources& r, uint32_t mask) {
    // In runc's order of subsystems.
    if ((mask & kCpuset) && r.cpu) TRY_CTX(set_cpuset(dir_of("cpuset"), r), "cpuset");
    if ((mask & kDevices) && r.devices)
        TRY_CTX(set_devices(dir_of("devices"), *r.devices), "devices");
    if ((mask & kMemory) && r.memory) TRY_CTX(set_memory(dir_of("memory"), *r.memory), "memory");
    if ((mask & kCpu) && r.cpu) TRY_CTX(set_cpu(dir_of("cpu"), *r.cpu), "cpu");
    if ((mask & kPids) && r.pids_limit) {
        int64_t limit = *r.pids_limit;
        // 0 becomes 1, as systemd cannot express 0 and runc keeps the drivers alike.
        std::string value = limit > 0 ? std::to_string(limit) : limit == 0 ? "1" : "max";
        TRY_CTX(write(dir_of("pids"), "pids.max", value), "pids");
    }
    if ((mask & kIo) && r.block_io) TRY_CTX(set_blkio(dir_of("blkio"), *r.block_io), "blkio");
    if (mask & kHugetlb) TRY_CTX(set_hugetlb(dir_of("hugetlb"), r.hugepage_limits), "hugetlb");
    if ((mask & kNetCls) && r.network && r.network->class_id)
        TRY(write(dir_of("net_cls"), "net_cls.classid", std::to_string(*r.network->class_id)));
    if ((mask & kNetPrio) && r.network) {
        for (const auto& p : r.network->priorities)
            TRY(write(dir_of("net_prio"), "net_prio.ifpriomap",
                      p.name + " " + std::to_string(p.priority)));
    }
    if (mask & kRdma) {
        for (const auto& [device, limit] : r.rdma) {
            std::string line = device;
            if (limit.hca_handles) line += " hca_handle=" + std::to_string(*limit.hca_handles);
            if (limit.hca_objects) line += " hca_object=" + std::to_string(*limit.hca_objects);
            TRY(write(dir_of("rdma"), "rdma.max", line));
        }
    }
    return {};
}

Result<void> CgroupV1Manager::set_cpuset(const std::string& dir, const Resources& r) {
    if (!r.cpu->cpus.empty()) TRY(write(dir, "cpuset.cpus", r.cpu->cpus));
    if (!r.cpu->mems.empty()) TRY(write(dir, "cpuset.mems", r.cpu->mems));
    return {};
}

Result<void> CgroupV1Manager::set_devices(const std::string& dir,
                                          const std::vector<DeviceRule>& rules) {
    auto target = TRY(DevicePolicy::from_rules(rules));
    // A cgroup whose devices.list cannot be read is taken as a new one: allow-all.
    DevicePolicy current;
    TRY(current.apply({'a', -1, -1, kDevAll, true}));
    if (auto list = TRY(read_optional(*io_, join_path(dir, "devices.list"))))
        current = TRY_CTX(DevicePolicy::from_devices_list(*list), join_path(dir, "devices.list"));
    for (const auto& rule : target.transition_from(current))
        TRY(write(dir, rule.allow ? "devices.allow" : "devices.deny", rule.cgroup_string()));
    return {};
}

Result<void> CgroupV1Manager::set_memory(const std::string& dir, const Resources::Memory& m) {
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    const bool have_memsw = io_->exists(join_path(dir, "memory.memsw.limit_in_bytes"));
    // "Unlimited memory" with swap unset means unlimited swap too.
    if (limit == -1 && swap == 0 && have_memsw) swap = -1;

    auto set_limit = [&]() -> Result<void> {
        if (limit == 0) return {};
        auto written = write(dir, "memory.limit_in_bytes", std::to_string(limit));
        if (errno_of(written) != EBUSY) return written;
        // The kernel cannot reclaim enough to go below the current usage.
        uint64_t usage = read_uint(*io_, join_path(dir, "memory.usage_in_bytes")).value_or(0);
        uint64_t peak = read_uint(*io_, join_path(dir, "memory.max_usage_in_bytes")).value_or(0);
        return fail(ErrorKind::Conflict, "unable to set memory limit to " + std::to_string(limit) +
                                             " (current usage: " + std::to_string(usage) +
                                             ", peak usage: " + std::to_string(peak) + ")");
    };
    auto set_swap = [&]() -> Result<void> {
        if (swap == 0) return {};
        if (swap == -1 && !have_memsw) return {};  // no swap accounting: nothing to lift
        return write(dir, "memory.memsw.limit_in_bytes", std::to_string(swap));
    };
    // memsw must never be below the memory limit, so the order depends on the direction.
    bool swap_first = false;
    if (limit != 0 && swap != 0) {
        auto current = TRY(read_optional(*io_, join_path(dir, "memory.limit_in_bytes")));
        uint64_t now = UINT64_MAX;
        if (current) now = TRY_CTX(parse_cgroup_uint(*current), "memory.limit_in_bytes");
        swap_first = swap == -1 || now < static_cast<uint64_t>(swap);
    }
    if (swap_first) {
        TRY(set_swap());
        TRY(set_limit());
    } else {
        TRY(set_limit());
        TRY(set_swap());
    }
    if (m.reservation && *m.reservation != 0)
        TRY(write(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
    if (m.disable_oom_killer) TRY(write(dir, "memory.oom_control", "1"));
    if (m.swappiness && *m.swappiness != -1)
        TRY(write(dir, "memory.swappiness", std::to_string(*m.swappiness)));
    return {};
}

Result<void> CgroupV1Manager::set_cpu(const std::string& dir, const Resources::Cpu& c) {
    if (c.shares && *c.shares != 0) {
        TRY(write(dir, "cpu.shares", std::to_string(*c.shares)));
        // The kernel clamps; say so instead of running with another value.
        uint64_t got = TRY(read_uint(*io_, join_path(dir, "cpu.shares")));
        if (*c.shares > got)
            return fail(ErrorKind::InvalidArgument,
                        "the maximum allowed cpu-shares is " + std::to_string(got));
        if (*c.shares < got)
            return fail(ErrorKind::InvalidArgument,
                        "the minimum allowed cpu-shares is " + std::to_string(got));
    }
    const bool quota = c.quota && *c.quota != 0;
    // A smaller period or a bigger burst can be refused (EINVAL) until the quota is written;
    // then they are written again after it.
    std::string pending_period, pending_burst;
    if (c.period && *c.period != 0) {
        auto written = write(dir, "cpu.cfs_period_us", std::to_string(*c.period));
        if (!written) {
            if (errno_of(written) != EINVAL || !quota) return written;
            pending_period = std::to_string(*c.period);
        }
    }
    if (c.burst) {
        auto written = write(dir, "cpu.cfs_burst_us", std::to_string(*c.burst));
        if (!written && errno_of(written) != ENOENT) {  // ENOENT: a kernel without burst
            if (errno_of(written) != EINVAL || !quota) return written;
            pending_burst = std::to_string(*c.burst);
        }
    }
    if (quota) {
        TRY(write(dir, "cpu.cfs_quota_us", std::to_string(*c.quota)));
        if (!pending_period.empty()) TRY(write(dir, "cpu.cfs_period_us", pending_period));
        if (!pending_burst.empty()) TRY(write(dir, "cpu.cfs_burst_us", pending_burst));
    }
    if (c.idle) TRY(write(dir, "cpu.idle", std::to_string(*c.idle)));
    // Real-time: the period first, unless the kernel wants the runtime first.
    const bool runtime = c.realtime_runtime && *c.realtime_runtime != 0;
    pending_period.clear();
    if (c.realtime_period && *c.realtime_period != 0) {
        auto written = write(dir, "cpu.rt_period_us", std::to_string(*c.realtime_period));
        if (!written) {
            if (errno_of(written) != EINVAL || !runtime) return written;
            pending_period = std::to_string(*c.realtime_period);
        }
    }
    if (runtime) {
        TRY(write(dir, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime)));
        if (!pending_period.empty()) TRY(write(dir, "cpu.rt_period_us", pending_period));
    }
    return {};
}

Result<void> CgroupV1Manager::set_blkio(const std::string& dir, const Resources::BlockIo& b) {
    // CFQ's knobs, or BFQ's where CFQ is gone.
    const bool cfq = io_->exists(join_path(dir, "blkio.weight"));
    const char* weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    const char* weight_device_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (b.weight && *b.weight != 0) TRY(write(dir, weight_file, std::to_string(*b.weight)));
    if (b.leaf_weight && *b.leaf_weight != 0)
        TRY(write(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
    for (const auto& wd : b.weight_device) {
        std::string dev = device_string(wd.major, wd.minor);
        if (wd.weight && *wd.weight != 0)
            TRY(write(dir, weight_device_file, dev + " " + std::to_string(*wd.weight)));
        if (wd.leaf_weight && *wd.leaf_weight != 0)
            TRY(write(dir, "blkio.leaf_weight_device",
                      dev + " " + std::to_string(*wd.leaf_weight)));
    }
    const std::pair<const char*, const std::vector<ThrottleDevice>*> throttles[] = {
        {"blkio.throttle.read_bps_device", &b.throttle_read_bps},
        {"blkio.throttle.write_bps_device", &b.throttle_write_bps},
        {"blkio.throttle.read_iops_device", &b.throttle_read_iops},
        {"blkio.throttle.write_iops_device", &b.throttle_write_iops},
    };
    for (auto [file, list] : throttles) {
        for (const auto& td : *list)
            TRY(write(dir, file,
                      device_string(td.major, td.minor) + " " + std::to_string(td.rate)));
    }
    return {};
}

Result<void> CgroupV1Manager::set_hugetlb(const std::string& dir,
                                          const std::vector<HugepageLimit>& limits) {
    for (const auto& l : limits) {
        std::string prefix = "hugetlb." + l.page_size;
        TRY(write(dir, prefix + ".limit_in_bytes", std::to_string(l.limit)));
        // The reservation limit too, on kernels that have it (5.7+).
        if (io_->exists(join_path(dir, prefix + ".rsvd.limit_in_bytes")))
            TRY(write(dir, prefix + ".rsvd.limit_in_bytes", std::to_string(l.limit)));
    }
    return {};
}

Result<void> CgroupV1Manager::freeze() {
    std::string dir = dir_of("freezer");
    if (dir.empty()) return fail(ErrorKind::Unsupported, "cannot freeze: no freezer cgroup");
    std::string state_file = join_path(dir, "freezer.state");
    // A v1 cgroup can stay FREEZING while processes keep appearing; retry, now and then
    // thawing and pausing to let them settle (runc's empirically chosen numbers).
    for (int i = 0; i < 1000; ++i) {
        if (i % 50 == 49) {
            (void)io_->write(state_file, "THAWED");
            sleep_ms(10);
        }
        if (auto r = io_->write(state_file, "FROZEN"); !r) {
            (void)io_->write(state_file, "THAWED");
            return r;
        }
        if (i % 25 == 24) {
            struct timespec ts = {0, 10000};
            ::nanosleep(&ts, nullptr);
        }
        auto state = io_->read(state_file);
        if (!state) {
            (void)io_->write(state_file, "THAWED");
            return fail(std::move(state).error());
        }
        std::string_view s = trim(*state);
        if (s == "FROZEN") return {};
        if (s != "FREEZING") {
            (void)io_->write(state_file, "THAWED");
            return fail(ErrorKind::Internal, "unexpected freezer state " + std::string(s));
        }
    }
    (void)io_->write(state_file, "THAWED");
    return fail(ErrorKind::Unavailable, "unable to freeze " + dir + ": it stays FREEZING");
}

Result<void> CgroupV1Manager::thaw() {
    std::string dir = dir_of("freezer");
    if (dir.empty()) return {};  // nothing can be frozen
    return write(dir, "freezer.state", "THAWED");
}

Result<FreezerState> CgroupV1Manager::freezer_state() {
    std::string dir = dir_of("freezer");
    if (dir.empty()) return FreezerState::Undefined;
    for (int i = 0; i < 1000; ++i) {
        auto state = TRY(read_optional(*io_, join_path(dir, "freezer.state")));
        if (!state) return FreezerState::Undefined;
        std::string_view s = trim(*state);
        if (s == "THAWED") return FreezerState::Thawed;
        if (s == "FROZEN") {
            // Frozen by us, or only through a frozen ancestor?
            auto self = TRY(read_optional(*io_, join_path(dir, "freezer.self_freezing")));
            if (!self || trim(*self) == "1") return FreezerState::Frozen;
            return FreezerState::Thawed;
        }
        if (s != "FREEZING")
            return fail(ErrorKind::Internal, "unknown freezer state " + std::string(s));
        sleep_ms(1);
    }
    return fail(ErrorKind::Unavailable, dir + " stays FREEZING");
}

Result<std::vector<pid_t>> CgroupV1Manager::pids() {
    std::string dir = path();
    if (dir.empty()) return std::vector<pid_t>();
    return cgroup_pids_recursive(*io_, dir);
}

Result<CgroupStats> CgroupV1Manager::stats() {
    CgroupStats s;
    using Reader = Result<void> (*)(CgroupIo&, const std::string&, CgroupStats&);
    const std::pair<const char*, Reader> readers[] = {
        {"cpu", read_v1_cpu_stats},         {"cpuacct", read_v1_cpuacct_stats},
        {"cpuset", read_v1_cpuset_stats},   {"memory", read_v1_memory_stats},
        {"pids", read_v1_pids_stats},       {"blkio", read_v1_blkio_stats},
        {"hugetlb", read_v1_hugetlb_stats},
    };
    for (auto [controller, reader] : readers) {
        std::string dir = dir_of(controller);
        if (dir.empty() || !io_->exists(dir)) continue;
        TRY_CTX(reader(*io_, dir, s), std::string("stats of ") + controller);
    }
    return s;
}

Result<uint64_t> CgroupV1Manager::oom_kill_count() {
    std::string dir = dir_of("memory");
    if (dir.empty()) return uint64_t{0};
    std::string file = join_path(dir, "memory.oom_control");
    if (!io_->exists(file)) return uint64_t{0};
    return read_keyed(*io_, file, "oom_kill");
}

Result<void> CgroupV1Manager::signal_all(int signal) {
    auto list = TRY(pids());
    if (list.empty()) return {};
    // Frozen, nothing can fork away between the listing and the signals. A cgroup that was
    // paused stays paused, unless the signal is SIGKILL (the processes die only once thawed).
    auto before = freezer_state().value_or(FreezerState::Undefined);
    bool froze = !dir_of("freezer").empty() && freeze().has_value();
    if (froze) list = TRY(pids());
    Result<void> result;
    for (pid_t pid : list) {
        auto sent = io_->signal(pid, signal);
        if (!sent && sent.error().sys_errno() != ESRCH && result) result = sent;
    }
    if (froze && (before != FreezerState::Frozen || signal == SIGKILL)) TRY(thaw());
    return result;
}

Result<void> CgroupV1Manager::kill_all(int signal) {
    return signal_all(signal);
}

Result<void> CgroupV1Manager::destroy() {
    if (exists()) {
        auto list = pids();
        if (list && !list->empty()) {
            (void)kill_all(SIGKILL);
            wait_until_empty([&] { return pids(); }, 2000);
        }
    }
    Result<void> result;
    for (const auto& h : hierarchies_) {
        auto removed = remove_cgroup_tree(*io_, h.dir);
        if (!removed && result) result = removed;
    }
    return result;
}

}  // namespace berth::runtime::cgroups
