#include "runtime/cgroups/cgroup_layout.h"

#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "base/fs.h"
#include "base/mountinfo.h"

namespace berth::runtime::cgroups {

std::string_view to_string(CgroupLayout layout) {
    switch (layout) {
        case CgroupLayout::V1:
            return "v1";
        case CgroupLayout::V2:
            return "v2";
        case CgroupLayout::Hybrid:
            return "hybrid";
    }
    return "unknown";
}

const CgroupMount* CgroupHost::mount_of(std::string_view controller) const {
    for (const auto& m : v1) {
        if (std::find(m.controllers.begin(), m.controllers.end(), controller) !=
            m.controllers.end())
            return &m;
    }
    return nullptr;
}

bool CgroupHost::unified_has(std::string_view controller) const {
    return std::find(unified_controllers.begin(), unified_controllers.end(), controller) !=
           unified_controllers.end();
}

std::vector<MountInfoEntry> parse_cgroup_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> out;
    for (auto& entry : parse_mountinfo(text))
        if (entry.fstype == "cgroup" || entry.fstype == "cgroup2") out.push_back(std::move(entry));
    return out;
}

std::map<std::string, std::string> parse_proc_cgroup(std::string_view text) {
    std::map<std::string, std::string> out;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        // "hierarchy-id:controller,list:path"; the path may itself hold ':'.
        size_t first = line.find(':');
        if (first == std::string::npos) continue;
        size_t second = line.find(':', first + 1);
        if (second == std::string::npos) continue;
        std::string controllers = line.substr(first + 1, second - first - 1);
        std::string path = line.substr(second + 1);
        if (controllers.empty()) {
            out[""] = path;
            continue;
        }
        std::istringstream list(controllers);
        std::string c;
        while (std::getline(list, c, ','))
            if (!c.empty()) out[c] = path;
    }
    return out;
}

static bool is_under(const std::string& path, const std::string& root) {
    return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
           (root == "/" || path[root.size()] == '/');
}

static bool is_v1_controller(std::string_view opt) {
    static constexpr std::string_view known[] = {
        "cpuset",     "cpu",      "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls",
        "perf_event", "net_prio", "hugetlb", "pids",  "rdma",   "misc",    "debug"};
    if (opt.starts_with("name=")) return true;
    return std::find(std::begin(known), std::end(known), opt) != std::end(known);
}

// The layout under `root` (clean) of a host that has no cgroup2 mount at `root` itself.
static Result<CgroupLayout> layout_from_mounts(const std::vector<MountInfoEntry>& cgroup_mounts,
                                               const std::string& root) {
    bool v1 = false;
    for (const auto& e : cgroup_mounts) {
        if (!is_under(e.mount_point, root)) continue;
        if (e.fstype == "cgroup2") return CgroupLayout::Hybrid;
        v1 = true;
    }
    if (v1) return CgroupLayout::V1;
    return fail(ErrorKind::Unavailable, "no cgroup hierarchy is mounted under " + root);
}

static bool is_unified_root(const std::string& root) {
    return ::access(join_path(root, "cgroup.controllers").c_str(), F_OK) == 0;
}

Result<CgroupLayout> detect_cgroup_layout(const std::string& root, const std::string& mountinfo) {
    std::string clean_root = clean_path(root);
    if (is_unified_root(clean_root)) return CgroupLayout::V2;
    auto text = TRY_CTX(read_file(mountinfo), "detect cgroup layout");
    return layout_from_mounts(parse_cgroup_mountinfo(text), clean_root);
}

Result<CgroupHost> probe_cgroup_host(const CgroupHostPaths& paths) {
    CgroupHost host;
    host.root = clean_path(paths.root);
    if (is_unified_root(host.root)) {
        host.layout = CgroupLayout::V2;
        host.unified = host.root;
    } else {
        auto text = TRY_CTX(read_file(paths.mountinfo), "probe cgroups");
        auto mounts = parse_cgroup_mountinfo(text);
        host.layout = TRY(layout_from_mounts(mounts, host.root));
        for (const auto& e : mounts) {
            if (!is_under(e.mount_point, host.root)) continue;
            if (e.fstype == "cgroup2") {
                if (host.unified.empty()) host.unified = e.mount_point;
                continue;
            }
            CgroupMount mount{e.mount_point, e.root, {}};
            std::istringstream opts(e.super_options);
            std::string opt;
            while (std::getline(opts, opt, ','))
                if (is_v1_controller(opt)) mount.controllers.push_back(opt);
            if (mount.controllers.empty()) continue;
            // The same hierarchy mounted twice (a bind mount, say): keep the first.
            bool seen = std::any_of(host.v1.begin(), host.v1.end(), [&](const CgroupMount& m) {
                return m.controllers == mount.controllers;
            });
            if (!seen) host.v1.push_back(std::move(mount));
        }
    }
    if (!host.unified.empty()) {
        auto controllers = read_file(join_path(host.unified, "cgroup.controllers"));
        if (controllers) {
            std::istringstream words(*controllers);
            std::string c;
            while (words >> c)
                host.unified_controllers.push_back(c);
        }
    }
    if (auto self = read_file(paths.self_cgroup)) host.own = parse_proc_cgroup(*self);
    return host;
}

}  // namespace berth::runtime::cgroups
