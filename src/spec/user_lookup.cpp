#include "spec/user_lookup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <limits>

#include "base/parse_int.h"
#include "base/path_in_root.h"
#include "base/unique_fd.h"

namespace berth::spec {

namespace {

constexpr int64_t kMaxId = std::numeric_limits<int32_t>::max();  // as docker (moby/sys/user)

struct PasswdEntry {
    std::string name;
    int64_t uid = 0;
    int64_t gid = 0;
    std::string home;
};

struct GroupEntry {
    std::string name;
    int64_t gid = 0;
    std::vector<std::string> members;
};

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    for (;;) {
        size_t end = text.find(sep, pos);
        if (end == std::string_view::npos) {
            out.push_back(text.substr(pos));
            return out;
        }
        out.push_back(text.substr(pos, end - pos));
        pos = end + 1;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

// A number field of passwd/group; garbage reads as 0, as docker's parser does.
int64_t number_field(std::string_view s) {
    return parse_int<int64_t>(s).value_or(0);
}

// Lines of a passwd/group file that carry an entry.
template <typename F>
void for_each_line(const std::string& text, F&& f) {
    for (std::string_view line : split(text, '\n')) {
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        f(split(line, ':'));
    }
}

std::vector<PasswdEntry> parse_passwd(const std::string& text) {
    std::vector<PasswdEntry> out;
    for_each_line(text, [&](const std::vector<std::string_view>& f) {
        PasswdEntry e;
        e.name = std::string(f[0]);
        if (f.size() > 2) e.uid = number_field(f[2]);
        if (f.size() > 3) e.gid = number_field(f[3]);
        if (f.size() > 5) e.home = std::string(f[5]);
        out.push_back(std::move(e));
    });
    return out;
}

std::vector<GroupEntry> parse_group(const std::string& text) {
    std::vector<GroupEntry> out;
    for_each_line(text, [&](const std::vector<std::string_view>& f) {
        GroupEntry e;
        e.name = std::string(f[0]);
        if (f.size() > 2) e.gid = number_field(f[2]);
        if (f.size() > 3 && !f[3].empty())
            for (auto m : split(f[3], ','))
                e.members.emplace_back(trim(m));
        out.push_back(std::move(e));
    });
    return out;
}

// A user or group argument: numeric when it parses as a whole number.
struct IdArg {
    std::string text;
    bool numeric = false;
    int64_t id = 0;
};

Result<IdArg> parse_id_arg(std::string_view text) {
    IdArg arg{std::string(text)};
    if (text.empty()) return arg;
    auto value = parse_int_or_errc<int64_t>(text);
    if (!value && value.error() == std::errc::invalid_argument) return arg;  // a name
    if (!value || *value < 0 || *value > kMaxId) {
        return fail(ErrorKind::InvalidArgument,
                    "uids and gids must be in range 0-" + std::to_string(kMaxId));
    }
    arg.numeric = true;
    arg.id = *value;
    return arg;
}

// Adds a gid once: setgroups(2) needs each only once, and docker's lists can repeat one.
void add_gid(std::vector<uint32_t>& gids, int64_t gid) {
    auto id = static_cast<uint32_t>(gid);
    if (std::find(gids.begin(), gids.end(), id) == gids.end()) gids.push_back(id);
}

}  // namespace

Result<ResolvedUser> resolve_user_in(std::string_view user_spec,
                                     const std::vector<std::string>& group_add,
                                     const std::optional<std::string>& passwd,
                                     const std::optional<std::string>& group) {
    std::string_view user_text = user_spec, group_text;
    if (auto colon = user_spec.find(':'); colon != std::string_view::npos) {
        user_text = user_spec.substr(0, colon);
        group_text = user_spec.substr(colon + 1);
        // Only "user:group"; anything after a second colon is ignored, as docker does.
        group_text = group_text.substr(0, group_text.find(':'));
    }
    IdArg user_arg = TRY(parse_id_arg(user_text));
    IdArg group_arg = TRY(parse_id_arg(group_text));

    ResolvedUser out;
    std::vector<PasswdEntry> users = passwd ? parse_passwd(*passwd) : std::vector<PasswdEntry>{};
    std::vector<GroupEntry> groups = group ? parse_group(*group) : std::vector<GroupEntry>{};

    const PasswdEntry* match = nullptr;
    for (const auto& u : users) {
        bool hit = user_arg.text.empty() ? u.uid == 0
                   : user_arg.numeric    ? u.uid == user_arg.id
                                         : u.name == user_arg.text;
        if (hit) {
            match = &u;  // the first match wins
            break;
        }
    }
    if (match != nullptr) {
        out.uid = static_cast<uint32_t>(match->uid);
        out.gid = static_cast<uint32_t>(match->gid);
        out.home = match->home;
    } else if (!user_arg.text.empty()) {
        if (!user_arg.numeric) {
            return fail(ErrorKind::InvalidArgument, "unable to find user " + user_arg.text +
                                                        ": no matching entries in passwd file");
        }
        out.uid = static_cast<uint32_t>(user_arg.id);
    }

    std::vector<uint32_t> supplementary;
    if (!group_arg.text.empty()) {
        const GroupEntry* g = nullptr;
        for (const auto& e : groups) {
            if (group_arg.numeric ? e.gid == group_arg.id : e.name == group_arg.text) {
                g = &e;
                break;
            }
        }
        if (g != nullptr) {
            out.gid = static_cast<uint32_t>(g->gid);
        } else if (group_arg.numeric) {
            out.gid = static_cast<uint32_t>(group_arg.id);
        } else {
            return fail(ErrorKind::InvalidArgument, "unable to find group " + group_arg.text +
                                                        ": no matching entries in group file");
        }
    } else if (match != nullptr) {
        // The implicit form: the user's supplementary groups from /etc/group.
        for (const auto& e : groups) {
            if (std::find(e.members.begin(), e.members.end(), match->name) != e.members.end())
                add_gid(supplementary, e.gid);
        }
    }

    out.additional_gids.push_back(out.gid);
    for (uint32_t gid : supplementary)
        add_gid(out.additional_gids, gid);

    for (const auto& name : group_add) {
        IdArg arg = TRY(parse_id_arg(name));
        const GroupEntry* g = nullptr;
        for (const auto& e : groups) {
            if (arg.numeric ? e.gid == arg.id : e.name == arg.text) {
                g = &e;
                break;
            }
        }
        int64_t gid = 0;
        if (g != nullptr) {
            if (g->gid < 0 || g->gid > kMaxId) {
                return fail(ErrorKind::InvalidArgument,
                            "uids and gids must be in range 0-" + std::to_string(kMaxId));
            }
            gid = g->gid;
        } else if (arg.numeric) {
            gid = arg.id;
        } else {
            return fail(ErrorKind::InvalidArgument,
                        "unable to find group " + arg.text + ": no matching entries in group file");
        }
        add_gid(out.additional_gids, gid);
    }
    return out;
}

Result<std::optional<std::string>> read_file_in_root(int root_fd, int proc_fds,
                                                     std::string_view path, size_t limit) {
    std::string what = std::string(path) + " of the container";
    // Looked at before it is opened for reading: opening a device can act (a watchdog arms),
    // and a FIFO's open or a device's read may never end.
    auto found = RootResolver(root_fd).open(path, O_PATH | O_CLOEXEC);
    if (!found) {
        int err = found.error().sys_errno();
        if (err == ENOENT || err == ENOTDIR || err == ELOOP || err == ENXIO)
            return std::optional<std::string>{};
        return fail(std::move(found).error().context("read " + what));
    }
    struct stat st {};
    if (::fstat(found->get(), &st) != 0) return fail_errno("stat " + what);
    if (!S_ISREG(st.st_mode)) return std::optional<std::string>{};
    // Reopened through our own /proc: the very inode checked, whatever the path holds by now.
    UniqueFd file(::openat(proc_fds, std::to_string(found->get()).c_str(),
                           O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!file) return fail_errno("open " + what);
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(file.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read " + what);
        }
        if (n == 0) break;
        text.append(buf, static_cast<size_t>(n));
        if (text.size() > limit)
            return fail(ErrorKind::InvalidArgument,
                        what + " is larger than " + std::to_string(limit) + " bytes");
    }
    return std::optional<std::string>(std::move(text));
}

Result<std::optional<std::string>> read_file_in_root(const std::string& rootfs,
                                                     std::string_view path, size_t limit) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno("open root file system " + rootfs);
    UniqueFd proc_fds(::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!proc_fds) return fail_errno("open /proc/self/fd");
    return read_file_in_root(root.get(), proc_fds.get(), path, limit);
}

Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view user_spec,
                                  const std::vector<std::string>& group_add) {
    auto passwd = TRY(read_file_in_root(rootfs, "/etc/passwd"));
    auto group = TRY(read_file_in_root(rootfs, "/etc/group"));
    return resolve_user_in(user_spec, group_add, passwd, group);
}

}  // namespace berth::spec
