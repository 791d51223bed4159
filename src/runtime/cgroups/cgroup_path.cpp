#include "runtime/cgroups/cgroup_path.h"

#include <algorithm>

#include "base/fs.h"

namespace berth::runtime::cgroups {

Result<std::string> expand_systemd_slice(std::string_view slice) {
    constexpr std::string_view suffix = ".slice";
    auto invalid = [&] {
        return fail(ErrorKind::InvalidArgument,
                    "invalid slice name \"" + std::string(slice) + "\"");
    };
    if (slice.size() <= suffix.size() || !slice.ends_with(suffix) ||
        slice.find('/') != std::string_view::npos)
        return invalid();
    std::string_view name = slice.substr(0, slice.size() - suffix.size());
    if (name == "-") return std::string("/");
    std::string path, prefix;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t dash = name.find('-', pos);
        if (dash == std::string_view::npos) dash = name.size();
        std::string_view component = name.substr(pos, dash - pos);
        if (component.empty()) return invalid();  // "a--b.slice", "-a.slice", "a-.slice"
        path += "/" + prefix + std::string(component) + std::string(suffix);
        prefix += std::string(component) + "-";
        pos = dash + 1;
    }
    return path;
}

static bool valid_name(std::string_view s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos;
}

Result<CgroupPath> resolve_cgroup_path(std::string_view cgroups_path,
                                       std::string_view container_id) {
    if (cgroups_path.empty()) {
        if (!valid_name(container_id))
            return fail(
                ErrorKind::InvalidArgument,
                "invalid container id \"" + std::string(container_id) + "\" for a cgroup name");
        return CgroupPath{std::string(container_id)};
    }
    // "slice:prefix:name", the form of runc's --systemd-cgroup, served by cgroupfs here.
    if (std::count(cgroups_path.begin(), cgroups_path.end(), ':') == 2 &&
        cgroups_path.find('/') == std::string_view::npos) {
        size_t a = cgroups_path.find(':');
        size_t b = cgroups_path.find(':', a + 1);
        std::string_view slice = cgroups_path.substr(0, a);
        std::string_view prefix = cgroups_path.substr(a + 1, b - a - 1);
        std::string_view name = cgroups_path.substr(b + 1);
        if (!valid_name(name))
            return fail(ErrorKind::InvalidArgument,
                        "cgroupsPath \"" + std::string(cgroups_path) + "\": invalid unit name");
        std::string parent = TRY_CTX(expand_systemd_slice(slice.empty() ? "system.slice" : slice),
                                     "cgroupsPath \"" + std::string(cgroups_path) + "\"");
        std::string unit;
        if (name.ends_with(".slice")) {
            unit = name;
        } else {
            unit = prefix.empty() ? std::string(name) + ".scope"
                                  : std::string(prefix) + "-" + std::string(name) + ".scope";
        }
        return CgroupPath{join_path(parent, unit)};
    }
    std::string path;
    if (cgroups_path.front() == '/') {
        path = clean_path(cgroups_path);
    } else {
        // Cleaned as if it were absolute, so that "../../x" cannot leave the runtime's cgroup.
        std::string rooted(1, '/');
        rooted += cgroups_path;
        path = clean_path(rooted).substr(1);
    }
    if (path.empty() || path == "/")
        return fail(ErrorKind::InvalidArgument,
                    "cgroupsPath \"" + std::string(cgroups_path) +
                        "\" names the root cgroup, which a container cannot own");
    return CgroupPath{std::move(path)};
}

static std::string own_path(const CgroupHost& host, const std::string& key) {
    auto it = host.own.find(key);
    return it == host.own.end() || it->second.empty() ? std::string("/") : it->second;
}

std::string v1_cgroup_dir(const CgroupHost& host, const CgroupMount& mount,
                          const CgroupPath& path) {
    if (!path.relative()) return join_path(mount.mount_point, path.path);
    std::string own = mount.controllers.empty() ? "/" : own_path(host, mount.controllers.front());
    // Our cgroup as seen from the mounted part of the hierarchy.
    std::string root = clean_path(mount.root.empty() ? "/" : mount.root);
    if (root != "/" && own.compare(0, root.size(), root) == 0 &&
        (own.size() == root.size() || own[root.size()] == '/'))
        own = own.substr(root.size());
    return clean_path(join_path(join_path(mount.mount_point, own), path.path));
}

std::string v2_cgroup_dir(const CgroupHost& host, const CgroupPath& path) {
    if (!path.relative()) return join_path(host.unified, path.path);
    if (host.layout != CgroupLayout::V2) return join_path(host.unified, path.path);
    std::string own = own_path(host, "");
    auto slash = own.find_last_of('/');
    std::string parent = slash == 0 || slash == std::string::npos ? "/" : own.substr(0, slash);
    return clean_path(join_path(join_path(host.unified, parent), path.path));
}

}  // namespace berth::runtime::cgroups
