#include "runtime/cgroups/cgroup_v2.h"

#include <fcntl.h>

#include <signal.h>

#include <algorithm>
#include <sstream>

#include "base/fs.h"
#include "runtime/cgroups/bpf_device_filter.h"
#include "runtime/cgroups/cgroup_tree.h"
#include "runtime/cgroups/stats_readers.h"

namespace berth::runtime::cgroups {

namespace {

// -1 is v1's way to say "no limit"; v2 says "max".
std::string limit_string(int64_t value) {
    return value == -1 ? std::string("max") : std::to_string(value);
}

int errno_of(const Result<void>& r) {
    return r ? 0 : r.error().sys_errno();
}

}  // namespace

CgroupV2Manager::CgroupV2Manager(const std::string& unified, const std::string& dir,
                                 std::shared_ptr<CgroupIo> io)
    : unified_(clean_path(unified)),
      dir_(clean_path(dir)),
      io_(io ? std::move(io) : real_cgroup_io()) {}

bool CgroupV2Manager::exists() const {
    return io_->exists(dir_);
}

Result<void> CgroupV2Manager::write(std::string_view file, std::string_view value) {
    return io_->write(join_path(dir_, file), value);
}

Result<std::vector<std::string>> CgroupV2Manager::root_controllers() {
    if (!controllers_) {
        auto text = TRY(read_optional(*io_, join_path(unified_, "cgroup.controllers")));
        std::vector<std::string> list;
        if (text) {
            std::istringstream words(*text);
            std::string c;
            while (words >> c)
                list.push_back(c);
        }
        controllers_ = std::move(list);
    }
    return *controllers_;
}

uint32_t CgroupV2Manager::available() {
    uint32_t mask = kDevices | kFreezer;
    for (const auto& c : root_controllers().value_or(std::vector<std::string>{}))
        mask |= controller_bit(c);
    return mask;
}

Result<void> CgroupV2Manager::create() {
    if (dir_ == unified_ || !dir_.starts_with(unified_ + "/"))
        return fail(ErrorKind::InvalidArgument,
                    "cgroup " + dir_ + " is not below the cgroup2 mount " + unified_);
    auto controllers = TRY(root_controllers());
    std::string enable;
    for (const auto& c : controllers)
        enable += (enable.empty() ? "+" : " +") + c;
    // Every level from the root to the parent delegates all controllers to the next one.
    std::string level = unified_;
    size_t pos = unified_.size();
    while (true) {
        if (level != unified_) TRY_CTX(io_->make_dir(level), "create cgroup " + dir_);
        if (level == dir_) break;
        if (!enable.empty()) {
            std::string control = join_path(level, "cgroup.subtree_control");
            if (!io_->write(control, enable)) {
                // One at a time: some may be unavailable (rootless, a threaded subtree); a
                // limit that needs one fails later with a clear error.
                for (const auto& c : controllers)
                    (void)io_->write(control, "+" + c);
            }
        }
        pos = dir_.find('/', pos + 1);
        level = dir_.substr(0, pos);
    }
    return {};
}

Result<void> CgroupV2Manager::add_process(pid_t pid) {
    return join_cgroup(*io_, dir_, pid);
}

Result<JoinAtBirth> CgroupV2Manager::prepare_join_at_birth() {
    JoinAtBirth join;
    join.clone_into = TRY(io_->open(dir_, O_RDONLY | O_DIRECTORY));
    return join;
}

Result<void> CgroupV2Manager::apply_resources(const Resources& r) {
    // net_cls and net_prio do not exist in v2; runc ignores them there, and so do we.
    uint32_t needed = controllers_needed(r) & ~(kNetCls | kNetPrio);
    if (uint32_t missing = needed & ~available())
        return fail(ErrorKind::Unsupported, "cannot set " + controller_names(missing) +
                                                " limits: controller not available in " + unified_);
    TRY(apply_controllers(r, needed));
    return apply_unified(r.unified);
}

Result<void> CgroupV2Manager::apply_controllers(const Resources& r, uint32_t mask) {
    // In runc's (fs2) order.
    if ((mask & kPids) && r.pids_limit) {
        int64_t limit = *r.pids_limit;
        TRY_CTX(write("pids.max", limit > 0    ? std::to_string(limit)
                                  : limit == 0 ? "1"
                                               : "max"),
                "pids");
    }
    if ((mask & kMemory) && r.memory) TRY_CTX(set_memory(*r.memory), "memory");
    if ((mask & kIo) && r.block_io) TRY_CTX(set_io(*r.block_io), "io");
    if ((mask & kCpu) && r.cpu) TRY_CTX(set_cpu(*r.cpu), "cpu");
    if ((mask & kDevices) && r.devices) TRY_CTX(set_devices(*r.devices), "devices");
    if ((mask & kCpuset) && r.cpu) {
        if (!r.cpu->cpus.empty()) TRY(write("cpuset.cpus", r.cpu->cpus));
        if (!r.cpu->mems.empty()) TRY(write("cpuset.mems", r.cpu->mems));
    }
    if (mask & kHugetlb) TRY_CTX(set_hugetlb(r.hugepage_limits), "hugetlb");
    if (mask & kRdma) {
        for (const auto& [device, limit] : r.rdma) {
            std::string line = device;
            if (limit.hca_handles) line += " hca_handle=" + std::to_string(*limit.hca_handles);
            if (limit.hca_objects) line += " hca_object=" + std::to_string(*limit.hca_objects);
            TRY(write("rdma.max", line));
        }
    }
    return {};
}

Result<void> CgroupV2Manager::set_memory(const Resources::Memory& m) {
    int64_t limit = m.limit.value_or(0), swap = m.swap.value_or(0);
    int64_t reservation = m.reservation.value_or(0);
    if (limit == 0 && swap == 0 && reservation == 0) return {};
    if (m.check_before_update && (limit > 0 || swap > 0)) {
        // Best effort, as runc: without a readable usage there is nothing to compare.
        if (auto usage = read_uint(*io_, join_path(dir_, "memory.current"))) {
            if (swap > 0 && static_cast<uint64_t>(swap) <= *usage)
                return fail(ErrorKind::Conflict, "rejecting memory+swap limit " +
                                                     std::to_string(swap) + " <= usage " +
                                                     std::to_string(*usage));
            if (limit > 0 && static_cast<uint64_t>(limit) <= *usage)
                return fail(ErrorKind::Conflict, "rejecting memory limit " + std::to_string(limit) +
                                                     " <= usage " + std::to_string(*usage));
        }
    }
    int64_t swap_v2 = TRY(memory_swap_to_v2(swap, limit));
    std::string swap_value;
    if (swap_v2 != 0) swap_value = limit_string(swap_v2);
    if (swap_v2 == 0 && swap > 0) swap_value = "0";  // memory == memory+swap: no swap at all
    if (!swap_value.empty()) {
        // Without swap accounting there is no memory.swap.max; "max" and "0" then hold anyway.
        bool have = io_->exists(join_path(dir_, "memory.swap.max"));
        if (have || (swap_value != "max" && swap_value != "0"))
            TRY(write("memory.swap.max", swap_value));
    }
    if (limit != 0) TRY(write("memory.max", limit_string(limit)));
    if (reservation != 0) TRY(write("memory.low", limit_string(reservation)));
    return {};
}

Result<void> CgroupV2Manager::set_cpu(const Resources::Cpu& c) {
    if (c.idle) TRY(write("cpu.idle", std::to_string(*c.idle)));
    if (c.shares && *c.shares != 0)
        TRY(write("cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares))));
    const bool quota_set = (c.quota && *c.quota != 0) || (c.period && *c.period != 0);
    std::string pending_burst;
    if (c.burst) {
        auto written = write("cpu.max.burst", std::to_string(*c.burst));
        if (!written) {
            // A bigger burst may need the new quota first.
            if (errno_of(written) != EINVAL || !quota_set) return written;
            pending_burst = std::to_string(*c.burst);
        }
    }
    if (quota_set) {
        int64_t quota = c.quota.value_or(0);
        uint64_t period = c.period.value_or(0);
        if (period == 0) period = 100000;  // the kernel's default
        TRY(write("cpu.max", (quota > 0 ? std::to_string(quota) : std::string("max")) + " " +
                                 std::to_string(period)));
        if (!pending_burst.empty()) TRY(write("cpu.max.burst", pending_burst));
    }
    // realtimeRuntime/realtimePeriod have no v2 equivalent; runc ignores them too.
    return {};
}

Result<void> CgroupV2Manager::set_io(const Resources::BlockIo& b) {
    // BFQ takes v1-range weights as they are; otherwise io.weight with the linear conversion.
    std::optional<std::string> bfq = TRY(read_optional(*io_, join_path(dir_, "io.bfq.weight")));
    if (b.weight && *b.weight != 0) {
        if (bfq) {
            TRY(write("io.bfq.weight", std::to_string(*b.weight)));
        } else {
            TRY(write("io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight))));
        }
    }
    // Per-device BFQ weights exist since 5.4, where io.bfq.weight reads "default N".
    const bool bfq_devices = bfq && trim(*bfq).starts_with("default");
    for (const auto& wd : b.weight_device) {
        if (!wd.weight || *wd.weight == 0) continue;
        std::string dev = std::to_string(wd.major) + ":" + std::to_string(wd.minor);
        if (bfq_devices) {
            TRY(write("io.bfq.weight", dev + " " + std::to_string(*wd.weight)));
        } else if (!bfq) {
            TRY(write("io.weight",
                      dev + " " + std::to_string(blkio_weight_to_io_weight(*wd.weight))));
        }
    }
    // One io.max line per device with every limit given for it.
    std::vector<std::pair<std::string, std::string>> lines;
    auto add = [&](const std::vector<ThrottleDevice>& list, const char* key) {
        for (const auto& td : list) {
            std::string dev = std::to_string(td.major) + ":" + std::to_string(td.minor);
            auto it = std::find_if(lines.begin(), lines.end(),
                                   [&](const auto& l) { return l.first == dev; });
            if (it == lines.end()) it = lines.insert(lines.end(), {dev, dev});
            it->second += std::string(" ") + key + "=" + std::to_string(td.rate);
        }
    };
    add(b.throttle_read_bps, "rbps");
    add(b.throttle_write_bps, "wbps");
    add(b.throttle_read_iops, "riops");
    add(b.throttle_write_iops, "wiops");
    for (const auto& [dev, line] : lines)
        TRY(write("io.max", line));
    return {};
}

Result<void> CgroupV2Manager::set_hugetlb(const std::vector<HugepageLimit>& limits) {
    for (const auto& l : limits) {
        std::string prefix = "hugetlb." + l.page_size;
        TRY(write(prefix + ".max", std::to_string(l.limit)));
        if (io_->exists(join_path(dir_, prefix + ".rsvd.max")))
            TRY(write(prefix + ".rsvd.max", std::to_string(l.limit)));
    }
    return {};
}

Result<void> CgroupV2Manager::set_devices(const std::vector<DeviceRule>& rules) {
    auto policy = TRY(DevicePolicy::from_rules(rules));
    auto installed = io_->install_device_filter(dir_, build_device_filter(policy));
    if (installed) return {};
    // Where bpf(2) is not ours to use (a user namespace), a policy that allows everything can
    // do without the program (as runc and crun decide).
    bool allows_all = std::all_of(rules.begin(), rules.end(), [](const DeviceRule& r) {
        return r.allow && r.access == kDevAll;
    });
    if (allows_all) return {};
    return installed;
}

Result<void> CgroupV2Manager::apply_unified(const std::map<std::string, std::string>& unified,
                                            std::optional<uint32_t> allowed) {
    for (const auto& [key, value] : unified) {
        if (key.empty() || key.find('/') != std::string::npos)
            return fail(ErrorKind::InvalidArgument,
                        "unified resource \"" + key + "\" must be a file name (no slashes)");
        std::string controller = key.substr(0, key.find('.'));
        if (allowed && controller != "cgroup" && !(controller_bit(controller) & *allowed))
            return fail(ErrorKind::Unsupported, "unified resource \"" + key +
                                                    "\" can't be set: controller \"" + controller +
                                                    "\" is not in the unified hierarchy");
        // Several lines are several writes (io.max, one device per line).
        std::string_view rest = value;
        do {
            size_t eol = rest.find('\n');
            std::string_view line = rest.substr(0, eol);
            rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
            if (line.empty() && !rest.empty()) continue;
            auto written = write(key, line);
            if (!written) {
                int err = errno_of(written);
                auto controllers = root_controllers().value_or(std::vector<std::string>{});
                if ((err == ENOENT || err == EPERM || err == EACCES) && controller != "cgroup" &&
                    std::find(controllers.begin(), controllers.end(), controller) ==
                        controllers.end())
                    return fail(ErrorKind::Unsupported, "unified resource \"" + key +
                                                            "\" can't be set: controller \"" +
                                                            controller + "\" not available");
                return fail(std::move(written).error().context("unified resource \"" + key + "\""));
            }
        } while (!rest.empty());
    }
    return {};
}

Result<void> CgroupV2Manager::freeze() {
    std::string control = join_path(dir_, "cgroup.freeze");
    if (!io_->exists(control))
        return fail(ErrorKind::Unsupported, "cannot freeze " + dir_ + ": no cgroup.freeze");
    TRY(io_->write(control, "1"));
    // The kernel freezes asynchronously; cgroup.events says when it is done.
    std::string events = join_path(dir_, "cgroup.events");
    for (int i = 0; i < 1000; ++i) {
        uint64_t frozen = TRY(read_keyed(*io_, events, "frozen"));
        if (frozen == 1) return {};
        sleep_ms(10);
    }
    (void)io_->write(control, "0");
    return fail(ErrorKind::Unavailable, "timed out waiting for " + dir_ + " to freeze");
}

Result<void> CgroupV2Manager::thaw() {
    std::string control = join_path(dir_, "cgroup.freeze");
    if (!io_->exists(control)) return {};
    return io_->write(control, "0");
}

Result<FreezerState> CgroupV2Manager::freezer_state() {
    auto text = TRY(read_optional(*io_, join_path(dir_, "cgroup.freeze")));
    if (!text) return FreezerState::Undefined;
    std::string_view s = trim(*text);
    if (s == "0") return FreezerState::Thawed;
    if (s == "1") return FreezerState::Frozen;
    return fail(ErrorKind::Internal, "unknown cgroup.freeze state \"" + std::string(s) + "\"");
}

Result<std::vector<pid_t>> CgroupV2Manager::pids() {
    return cgroup_pids_recursive(*io_, dir_);
}

Result<CgroupStats> CgroupV2Manager::stats() {
    CgroupStats s;
    if (!io_->exists(dir_)) return fail(ErrorKind::NotFound, "cgroup " + dir_ + " does not exist");
    TRY_CTX(read_v2_stats(*io_, dir_, s), "stats of " + dir_);
    return s;
}

Result<void> CgroupV2Manager::read_hugetlb_stats(CgroupStats& stats) {
    return read_v2_hugetlb_stats(*io_, dir_, stats);
}

Result<uint64_t> CgroupV2Manager::oom_kill_count() {
    std::string events = join_path(dir_, "memory.events");
    if (!io_->exists(events)) return uint64_t{0};
    return read_keyed(*io_, events, "oom_kill");
}

Result<bool> CgroupV2Manager::kill_via_cgroup_kill() {
    std::string control = join_path(dir_, "cgroup.kill");
    if (!io_->exists(control)) return false;
    TRY(io_->write(control, "1"));
    return true;
}

Result<void> CgroupV2Manager::kill_all(int signal) {
    if (signal == SIGKILL && TRY(kill_via_cgroup_kill())) return {};
    auto list = TRY(pids());
    if (list.empty()) return {};
    // Frozen, nothing forks away meanwhile; a paused cgroup stays paused unless killed.
    auto before = freezer_state().value_or(FreezerState::Undefined);
    bool froze = freeze().has_value();
    if (froze) list = TRY(pids());
    Result<void> result;
    for (pid_t pid : list) {
        auto sent = io_->signal(pid, signal);
        if (!sent && sent.error().sys_errno() != ESRCH && result) result = sent;
    }
    if (froze && (before != FreezerState::Frozen || signal == SIGKILL)) TRY(thaw());
    return result;
}

Result<void> CgroupV2Manager::destroy() {
    if (exists()) {
        auto list = pids();
        if (list && !list->empty()) {
            (void)kill_all(SIGKILL);
            wait_until_empty([&] { return pids(); }, 2000);
        }
    }
    return remove_cgroup_tree(*io_, dir_);
}

}  // namespace berth::runtime::cgroups
