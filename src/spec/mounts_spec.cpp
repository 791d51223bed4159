// Mounts of the container spec: docker's default mounts, HostConfig.Binds / Mounts / Tmpfs, the
// network files and Init's binary, with docker's parsing rules and messages
// (moby daemon/volume/mounts/linux_parser.go, daemon/oci_linux.go withMounts).
#include <algorithm>
#include <map>
#include <set>

#include "base/fs.h"
#include "spec/spec_parts.h"

namespace berth::spec {

namespace {

const std::set<std::string, std::less<>> kPropagations = {"private", "rprivate", "shared",
                                                          "rshared", "slave",    "rslave"};

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    for (;;) {
        size_t end = text.find(sep, pos);
        if (end == std::string_view::npos) {
            out.emplace_back(text.substr(pos));
            return out;
        }
        out.emplace_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
}

// A mode of a Binds entry: at most one of each kind of option.
bool valid_bind_mode(const std::string& mode) {
    if (mode.empty()) return true;
    int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
    for (const auto& o : split(mode, ',')) {
        if (o == "rw" || o == "ro")
            ++rw;
        else if (o == "z" || o == "Z")
            ++label;
        else if (kPropagations.contains(o))
            ++propagation;
        else if (o == "nocopy")
            ++copy;
        else if (o == "consistent" || o == "cached" || o == "delegated")
            ++consistency;
        else
            return false;
    }
    return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
}

Result<void> check_target(const std::string& target, const std::string& type) {
    auto prefix = "invalid mount config for type \"" + type + "\": ";
    if (target.empty())
        return fail(ErrorKind::InvalidArgument, prefix + "field Target must not be empty");
    if (clean_path(target) == "/")
        return fail(ErrorKind::InvalidArgument,
                    prefix + "invalid specification: destination can't be '/'");
    if (target.front() != '/') {
        return fail(ErrorKind::InvalidArgument,
                    prefix + "invalid mount path: '" + target + "' mount path must be absolute");
    }
    return {};
}

std::string octal(int64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%llo", static_cast<unsigned long long>(v));
    return buf;
}

// docker's rendering of TmpfsOptions as mount data.
Result<std::string> tmpfs_data(const Json& options, bool read_only) {
    std::vector<std::string> raw;
    if (read_only) raw.push_back("ro");
    if (options.is_object()) {
        if (int64_t mode = int_of(options, "Mode"); mode != 0) raw.push_back("mode=" + octal(mode));
        if (int64_t size = int_of(options, "SizeBytes"); size != 0) {
            std::string suffix;
            for (auto [s, div] :
                 {std::pair{"g", int64_t{1} << 30}, std::pair{"m", int64_t{1} << 20},
                  std::pair{"k", int64_t{1} << 10}}) {
                if (size % div == 0) {
                    size /= div;
                    suffix = s;
                    break;
                }
            }
            raw.push_back("size=" + std::to_string(size) + suffix);
        }
        const Json& extra = member(options, "Options");
        if (extra.is_array()) {
            for (const Json& opt : extra) {
                if (!opt.is_array() || opt.empty() || opt.size() > 2 || !opt[0].is_string())
                    return fail(ErrorKind::InvalidArgument, "invalid option array length");
                std::string name = opt[0].get<std::string>();
                if (name != "exec" && name != "noexec")
                    return fail(ErrorKind::InvalidArgument, "invalid option: " + name);
                raw.push_back(opt.size() == 1 || !opt[1].is_string()
                                  ? name
                                  : name + "=" + opt[1].get<std::string>());
            }
        }
    }
    std::string out;
    for (const auto& r : raw)
        out += (out.empty() ? "" : ",") + r;
    return out;
}

Result<UserMount> parse_mount(const Json& m) {
    if (!m.is_object())
        return fail(ErrorKind::InvalidArgument, "HostConfig.Mounts: entries must be objects");
    std::string type = string_of(m, "Type");
    auto prefix = "invalid mount config for type \"" + type + "\": ";
    for (auto [key, owner] :
         {std::pair{"BindOptions", "bind"}, std::pair{"VolumeOptions", "volume"},
          std::pair{"TmpfsOptions", "tmpfs"}, std::pair{"ImageOptions", "image"},
          std::pair{"ClusterOptions", "cluster"}}) {
        if (type != owner && !member(m, key).is_null())
            return fail(ErrorKind::InvalidArgument,
                        prefix + "field " + key + " must not be specified");
    }
    std::string target = string_of(m, "Target");
    UserMount out;
    if (type == "bind") {
        TRY(check_target(target, type));
        out.destination = clean_path(target);
        out.source = string_of(m, "Source");
        if (out.source.empty())
            return fail(ErrorKind::InvalidArgument, prefix + "field Source must not be empty");
        if (out.source.front() != '/') {
            return fail(ErrorKind::InvalidArgument, prefix + "invalid mount path: '" + out.source +
                                                        "' mount path must be absolute");
        }
        out.source = clean_path(out.source);
        out.read_only = bool_of(m, "ReadOnly");
        const Json& bo = member(m, "BindOptions");
        std::string propagation = string_of(bo, "Propagation");
        if (!propagation.empty()) {
            if (!kPropagations.contains(propagation))
                return fail(ErrorKind::InvalidArgument,
                            prefix + "invalid propagation mode: " + propagation);
            out.propagation = propagation;
        }
        out.non_recursive = bool_of(bo, "NonRecursive");
        out.ro_non_recursive = bool_of(bo, "ReadOnlyNonRecursive");
        out.ro_force_recursive = bool_of(bo, "ReadOnlyForceRecursive");
        out.create_source = bool_of(bo, "CreateMountpoint");
        if (!out.read_only && out.ro_non_recursive)
            return fail(ErrorKind::InvalidArgument,
                        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive");
        if (!out.read_only && out.ro_force_recursive)
            return fail(ErrorKind::InvalidArgument,
                        "mount options conflict: !ReadOnly && BindOptions.ReadOnlyForceRecursive");
        if (out.ro_non_recursive && out.ro_force_recursive)
            return fail(ErrorKind::InvalidArgument,
                        "mount options conflict: ReadOnlyNonRecursive && "
                        "BindOptions.ReadOnlyForceRecursive");
        if (!out.create_source && !path_exists(out.source))
            return fail(ErrorKind::InvalidArgument,
                        prefix + "bind source path does not exist: " + out.source);
        return out;
    }
    if (type == "tmpfs") {
        TRY(check_target(target, type));
        if (!string_of(m, "Source").empty())
            return fail(ErrorKind::InvalidArgument, prefix + "field Source must not be specified");
        out.kind = UserMount::Kind::Tmpfs;
        out.destination = clean_path(target);
        out.source = "tmpfs";
        out.tmpfs_data = TRY_CTX(tmpfs_data(member(m, "TmpfsOptions"), bool_of(m, "ReadOnly")),
                                 prefix.substr(0, prefix.size() - 2));
        return out;
    }
    if (type == "volume")
        return fail(
            ErrorKind::InvalidArgument,
            "HostConfig.Mounts: named volumes are not supported yet (mount at " + target + ")");
    if (type == "image" || type == "npipe" || type == "cluster")
        return fail(ErrorKind::InvalidArgument,
                    "HostConfig.Mounts: mounts of type \"" + type + "\" are not supported yet");
    return fail(ErrorKind::InvalidArgument, prefix + "mount type unknown");
}

// docker's mount data flags: options of one group replace each other (the last one wins).
const std::map<std::string, std::string, std::less<>>& flag_groups() {
    static const std::map<std::string, std::string, std::less<>> groups = [] {
        std::map<std::string, std::string, std::less<>> g;
        for (auto [a, b] : {std::pair{"ro", "rw"},
                            {"suid", "nosuid"},
                            {"dev", "nodev"},
                            {"exec", "noexec"},
                            {"sync", "async"},
                            {"mand", "nomand"},
                            {"atime", "noatime"},
                            {"diratime", "nodiratime"},
                            {"relatime", "norelatime"},
                            {"strictatime", "nostrictatime"}}) {
            g[a] = a;
            g[b] = a;
        }
        for (auto single : {"dirsync", "remount", "bind", "rbind"})
            g[single] = single;
        for (auto p : {"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable",
                       "runbindable"})
            g[p] = "propagation";
        return g;
    }();
    return groups;
}

// Depth of a mount destination: parents are mounted before their children.
size_t depth(const std::string& destination) {
    return static_cast<size_t>(std::count(destination.begin(), destination.end(), '/'));
}

Json default_mounts() {
    auto m = [](const char* dest, const char* type, const char* source,
                std::initializer_list<const char*> options) {
        Json opts = Json::array();
        for (auto o : options)
            opts.push_back(o);
        return Json{{"destination", dest}, {"type", type}, {"source", source}, {"options", opts}};
    };
    return Json::array({
        m("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        m("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        m("/dev/pts", "devpts", "devpts",
          {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        m("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        m("/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}),
        m("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        m("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}),
    });
}

void remove_option(Json& mount, std::string_view option) {
    Json kept = Json::array();
    for (const Json& o : mount["options"])
        if (o != option) kept.push_back(o);
    mount["options"] = std::move(kept);
}

}  // namespace

Result<UserMount> parse_bind(const std::string& raw) {
    auto invalid = [&](const std::string& why = "") {
        return fail(ErrorKind::InvalidArgument, "invalid volume specification: '" + raw + "'" +
                                                    (why.empty() ? "" : ": " + why));
    };
    std::vector<std::string> parts = split(raw, ':');
    if (parts[0].empty() || parts.size() > 3) return invalid();
    UserMount out;
    std::string mode;
    if (parts.size() == 1) {
        return fail(ErrorKind::InvalidArgument,
                    "HostConfig.Binds: anonymous volumes are not supported yet ('" + raw + "')");
    }
    if (parts.size() == 2 && valid_bind_mode(parts[1])) return invalid();
    out.source = parts[0];
    out.destination = parts[1];
    if (parts.size() == 3) mode = parts[2];
    if (!valid_bind_mode(mode)) return fail(ErrorKind::InvalidArgument, "invalid mode: " + mode);
    if (out.source.front() != '/') {
        return fail(ErrorKind::InvalidArgument,
                    "HostConfig.Binds: named volumes are not supported yet ('" + raw + "')");
    }
    if (auto r = check_target(out.destination, "bind"); !r) return invalid(r.error().message());
    for (const auto& o : split(mode, ',')) {
        if (o == "ro") out.read_only = true;
        if (kPropagations.contains(o)) out.propagation = o;
        if (o == "nocopy")
            return invalid(
                "invalid mount config for type \"bind\": field VolumeOptions must not be "
                "specified");
    }
    out.source = clean_path(out.source);
    out.destination = clean_path(out.destination);
    out.create_source = true;  // docker creates a missing bind source of -v at start
    return out;
}

Result<std::vector<UserMount>> parse_user_mounts(const Json& host_config) {
    std::vector<UserMount> out;
    std::set<std::string> seen;
    auto add = [&](UserMount m) -> Result<void> {
        if (!seen.insert(m.destination).second)
            return fail(ErrorKind::InvalidArgument, "Duplicate mount point: " + m.destination);
        out.push_back(std::move(m));
        return {};
    };
    for (const auto& raw : strings_of(host_config, "Binds"))
        TRY(add(TRY(parse_bind(raw))));
    const Json& mounts = member(host_config, "Mounts");
    if (mounts.is_array())
        for (const Json& m : mounts)
            TRY(add(TRY(parse_mount(m))));
    const Json& tmpfs = member(host_config, "Tmpfs");
    if (tmpfs.is_object()) {
        for (auto it = tmpfs.begin(); it != tmpfs.end(); ++it) {
            TRY_CTX(check_target(it.key(), "tmpfs"), "HostConfig.Tmpfs");
            UserMount m;
            m.kind = UserMount::Kind::Tmpfs;
            m.destination = clean_path(it.key());
            m.source = "tmpfs";
            m.tmpfs_data = it.value().is_string() ? it.value().get<std::string>() : "";
            std::vector<std::string> opts = {"noexec", "nosuid", "nodev", "rprivate"};
            if (!m.tmpfs_data.empty())
                for (auto& o : split(m.tmpfs_data, ','))
                    opts.push_back(o);
            TRY_CTX(merge_tmpfs_options(opts), "HostConfig.Tmpfs " + it.key());
            TRY(add(std::move(m)));
        }
    }
    return out;
}

Result<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options) {
    static const std::set<std::string, std::less<>> data_keys = {
        "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol"};
    std::set<std::string> flags_seen, data_seen;
    std::vector<std::string> out;
    for (auto it = options.rbegin(); it != options.rend(); ++it) {
        const std::string& option = *it;
        if (option == "defaults") continue;
        if (auto group = flag_groups().find(option); group != flag_groups().end()) {
            if (flags_seen.insert(group->second).second) out.insert(out.begin(), option);
            continue;
        }
        size_t eq = option.find('=');
        std::string key = option.substr(0, eq);
        if (eq == std::string::npos || !data_keys.contains(key))
            return fail(ErrorKind::InvalidArgument, "invalid tmpfs option \"" + option + "\"");
        if (data_seen.insert(key).second) out.insert(out.begin(), option);
    }
    return out;
}

Result<Json> build_mounts(const Json& host_config, const std::vector<UserMount>& user_mounts,
                          const std::string& container_dir, const std::string& init_binary,
                          bool init, const HostFacts& facts, Json& spec) {
    bool readonly_rootfs = bool_of(host_config, "ReadonlyRootfs");
    bool privileged = bool_of(host_config, "Privileged");

    std::vector<UserMount> mounts = user_mounts;
    std::set<std::string> user_dests;
    for (const auto& m : mounts)
        user_dests.insert(m.destination);
    // The network files, unless the user mounts their own there.
    for (auto [file, dest] :
         {std::pair{"resolv.conf", "/etc/resolv.conf"}, std::pair{"hostname", "/etc/hostname"},
          std::pair{"hosts", "/etc/hosts"}}) {
        if (container_dir.empty() || user_dests.contains(dest)) continue;
        UserMount m;
        m.source = container_dir + "/" + file;
        m.destination = dest;
        m.read_only = readonly_rootfs;
        mounts.push_back(std::move(m));
        user_dests.insert(dest);
    }
    std::stable_sort(mounts.begin(), mounts.end(), [](const UserMount& a, const UserMount& b) {
        return depth(a.destination) < depth(b.destination);
    });

    Json out = Json::array();
    bool user_dev = user_dests.contains("/dev");
    bool ipc_none = string_of(host_config, "IpcMode") == "none";
    int64_t shm_size = int_of(host_config, "ShmSize");
    if (shm_size <= 0) shm_size = 64 << 20;
    for (Json& m : default_mounts()) {
        std::string dest = m["destination"];
        if (user_dests.contains(dest)) continue;
        if (user_dev && dest.starts_with("/dev/")) continue;
        if (dest == "/dev/shm") {
            if (ipc_none) continue;
            m["options"].push_back("size=" + std::to_string(shm_size));
        }
        out.push_back(std::move(m));
    }
    if (init) {
        out.push_back({{"destination", "/sbin/docker-init"},
                       {"type", "bind"},
                       {"source", init_binary},
                       {"options", {"bind", "ro"}}});
    }
    if (readonly_rootfs) {
        for (Json& m : out) {
            std::string dest = m["destination"];
            if (dest == "/proc" || dest == "/dev/pts" || dest == "/dev/shm" ||
                dest == "/dev/mqueue" || dest == "/dev")
                continue;
            if (std::find(m["options"].begin(), m["options"].end(), "ro") == m["options"].end())
                m["options"].push_back("ro");
        }
    }

    std::string rootfs_propagation;
    for (const auto& m : mounts) {
        if (m.kind == UserMount::Kind::Tmpfs) {
            std::vector<std::string> opts = {"noexec", "nosuid", "nodev", "rprivate"};
            if (!m.tmpfs_data.empty())
                for (auto& o : split(m.tmpfs_data, ','))
                    opts.push_back(o);
            std::vector<std::string> merged =
                TRY_CTX(merge_tmpfs_options(opts), "tmpfs at " + m.destination);
            out.push_back({{"destination", m.destination},
                           {"type", "tmpfs"},
                           {"source", "tmpfs"},
                           {"options", merged}});
            continue;
        }
        if (m.create_source && !path_exists(m.source))
            TRY_CTX(mkdir_all(m.source, 0755), "create the bind source " + m.source);
        Json options = Json::array({m.non_recursive ? "bind" : "rbind"});
        if (m.read_only) {
            if (m.ro_force_recursive && !facts.rro) {
                return fail(ErrorKind::Unsupported,
                            "mount " + m.destination +
                                ": recursive read-only mounts need Linux 5.12 or later");
            }
            options.push_back(facts.rro && !m.ro_non_recursive ? "rro" : "ro");
        }
        options.push_back(m.propagation);
        if (m.propagation == "shared" || m.propagation == "rshared") {
            rootfs_propagation = "shared";
        } else if ((m.propagation == "slave" || m.propagation == "rslave") &&
                   rootfs_propagation != "shared") {
            rootfs_propagation = "rslave";
        }
        out.push_back({{"destination", m.destination},
                       {"type", "bind"},
                       {"source", m.source},
                       {"options", std::move(options)}});
    }
    if (!rootfs_propagation.empty()) spec["linux"]["rootfsPropagation"] = rootfs_propagation;

    if (privileged) {
        for (Json& m : out)
            if (m["destination"] == "/sys") remove_option(m, "ro");
    }
    return out;
}

}  // namespace berth::spec
