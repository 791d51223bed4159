#include "runtime/cgroups/cgroup_manager.h"

#include "base/fs.h"
#include "runtime/cgroups/cgroup_hybrid.h"
#include "runtime/cgroups/cgroup_v1.h"
#include "runtime/cgroups/cgroup_v2.h"

namespace berth::runtime::cgroups {

Result<void> CgroupManager::apply(const Json& resources) {
    auto parsed = TRY(parse_resources(resources));
    return apply_resources(parsed);
}

Result<std::unique_ptr<CgroupManager>> make_cgroup_manager(const CgroupHost& host,
                                                           const CgroupPath& path,
                                                           std::shared_ptr<CgroupIo> io) {
    if (!io) io = real_cgroup_io();
    if (host.layout == CgroupLayout::V2)
        return std::make_unique<CgroupV2Manager>(host.unified, v2_cgroup_dir(host, path), io);
    auto hierarchies = CgroupV1Manager::hierarchies_for(host, path);
    if (hierarchies.empty())
        return fail(ErrorKind::Unavailable,
                    "no cgroup v1 controller is mounted under " + host.root);
    CgroupV1Manager v1(std::move(hierarchies), io);
    if (host.layout == CgroupLayout::V1) return std::make_unique<CgroupV1Manager>(std::move(v1));
    return std::make_unique<CgroupHybridManager>(
        std::move(v1), CgroupV2Manager(host.unified, v2_cgroup_dir(host, path), io));
}

static bool below(const std::string& dir, const std::string& mount_point) {
    std::string d = clean_path(dir), m = clean_path(mount_point);
    return d.size() > m.size() && d.compare(0, m.size(), m) == 0 && d[m.size()] == '/';
}

Result<std::unique_ptr<CgroupManager>> open_cgroup_manager(
    const CgroupHost& host, const std::map<std::string, std::string>& paths,
    std::shared_ptr<CgroupIo> io) {
    if (!io) io = real_cgroup_io();
    auto unified_dir = [&]() -> Result<std::string> {
        auto it = paths.find("");
        if (it == paths.end())
            return fail(ErrorKind::InvalidArgument, "no unified cgroup path in the saved paths");
        // The paths come from a state file: never let one point outside the hierarchy.
        if (!below(it->second, host.unified))
            return fail(ErrorKind::InvalidArgument,
                        "cgroup path " + it->second + " is not below " + host.unified);
        return it->second;
    };
    if (host.layout == CgroupLayout::V2)
        return std::make_unique<CgroupV2Manager>(host.unified, TRY(unified_dir()), io);
    std::vector<V1Hierarchy> hierarchies;
    for (const auto& mount : host.v1) {
        for (const auto& controller : mount.controllers) {
            auto it = paths.find(controller);
            if (it == paths.end()) continue;
            if (!below(it->second, mount.mount_point))
                return fail(ErrorKind::InvalidArgument,
                            "cgroup path " + it->second + " is not below " + mount.mount_point);
            hierarchies.push_back({mount.controllers, mount.mount_point, it->second});
            break;
        }
    }
    if (hierarchies.empty())
        return fail(ErrorKind::InvalidArgument, "none of the saved cgroup paths is mounted here");
    CgroupV1Manager v1(std::move(hierarchies), io);
    if (host.layout == CgroupLayout::V1) return std::make_unique<CgroupV1Manager>(std::move(v1));
    return std::make_unique<CgroupHybridManager>(
        std::move(v1), CgroupV2Manager(host.unified, TRY(unified_dir()), io));
}

}  // namespace berth::runtime::cgroups
