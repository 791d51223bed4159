#include "runtime/cgroups/cgroup_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/fs.h"
#include "base/parse_int.h"
#include "base/unique_fd.h"
#include "runtime/cgroups/bpf_device_filter.h"

namespace berth::runtime::cgroups {

Result<std::string> CgroupIo::read(const std::string& path) {
    return read_file(path);
}

Result<UniqueFd> CgroupIo::open(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + path);
    return UniqueFd(fd);
}

Result<void> CgroupIo::write(const std::string& path, std::string_view data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail_errno("open " + path);
    UniqueFd owned(fd);
    for (;;) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n >= 0) break;
        if (errno == EINTR) continue;
        // The value helps when the kernel rejects it ("write \"max 100000\" to cpu.max: ...").
        return fail_errno("write \"" + std::string(data) + "\" to " + path);
    }
    return {};
}

Result<void> CgroupIo::make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return fail_errno("mkdir " + path);
    return {};
}

Result<void> CgroupIo::remove_dir(const std::string& path) {
    if (::rmdir(path.c_str()) < 0 && errno != ENOENT) return fail_errno("rmdir " + path);
    return {};
}

Result<void> CgroupIo::signal(pid_t pid, int sig) {
    if (::kill(pid, sig) < 0) return fail_errno("kill " + std::to_string(pid));
    return {};
}

Result<void> CgroupIo::install_device_filter(const std::string& dir, const BpfProgram& program) {
    auto fd = TRY(open_fd(dir, O_RDONLY | O_DIRECTORY));
    TRY_CTX(attach_device_filter(fd.get(), program), "device filter for " + dir);
    return {};
}

bool CgroupIo::exists(const std::string& path) const {
    return ::access(path.c_str(), F_OK) == 0;
}

static Result<std::vector<std::string>> list_dir(const std::string& dir, bool want_dirs) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        if (errno == ENOENT) return out;
        return fail_errno("opendir " + dir);
    }
    while (auto* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        bool is_dir = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN) {
            struct stat st {};
            is_dir = ::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISDIR(st.st_mode);
        }
        if (is_dir == want_dirs) out.push_back(std::move(name));
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

Result<std::vector<std::string>> CgroupIo::child_dirs(const std::string& dir) const {
    return list_dir(dir, true);
}

Result<std::vector<std::string>> CgroupIo::file_names(const std::string& dir) const {
    return list_dir(dir, false);
}

std::shared_ptr<CgroupIo> real_cgroup_io() {
    return std::make_shared<CgroupIo>();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

Result<uint64_t> parse_cgroup_uint(std::string_view text) {
    text = trim(text);
    if (text == "max") return UINT64_MAX;
    if (auto value = parse_int<uint64_t>(text)) return *value;
    // v1 prints -1 for "no limit" in a few files (cpu.cfs_quota_us); runc reads those as 0.
    if (auto value = parse_int<int64_t>(text); value && *value < 0) return 0;
    return fail(ErrorKind::InvalidArgument,
                "cannot parse \"" + std::string(text) + "\" as a number");
}

Result<std::vector<std::pair<std::string, uint64_t>>> parse_flat_keyed(std::string_view text) {
    std::vector<std::pair<std::string, uint64_t>> out;
    while (!text.empty()) {
        size_t eol = text.find('\n');
        std::string_view line = trim(text.substr(0, eol));
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        if (line.empty()) continue;
        size_t space = line.find(' ');
        if (space == std::string_view::npos)
            return fail(ErrorKind::InvalidArgument, "malformed line \"" + std::string(line) + "\"");
        auto value = parse_cgroup_uint(line.substr(space + 1));
        if (!value)
            return fail(std::move(value).error().context(std::string(line.substr(0, space))));
        out.emplace_back(std::string(line.substr(0, space)), *value);
    }
    return out;
}

Result<uint64_t> read_uint(CgroupIo& io, const std::string& path) {
    auto text = TRY(io.read(path));
    return TRY_CTX(parse_cgroup_uint(text), path);
}

Result<uint64_t> read_keyed(CgroupIo& io, const std::string& path, std::string_view key) {
    auto text = TRY(io.read(path));
    auto pairs = TRY_CTX(parse_flat_keyed(text), path);
    for (const auto& [k, v] : pairs) {
        if (k == key) return v;
    }
    return 0;  // like runc: a key the kernel does not print yet counts as 0
}

Result<std::optional<std::string>> read_optional(CgroupIo& io, const std::string& path) {
    auto text = io.read(path);
    if (!text) {
        if (is_not_found(text.error())) return std::optional<std::string>();
        return fail(std::move(text).error());
    }
    return std::optional<std::string>(std::move(*text));
}

Result<uint64_t> read_uint_or_zero(CgroupIo& io, const std::string& path) {
    auto text = TRY(read_optional(io, path));
    if (!text) return uint64_t{0};
    return TRY_CTX(parse_cgroup_uint(*text), path);
}

}  // namespace berth::runtime::cgroups
