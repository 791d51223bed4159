// CgroupIo: the cgroup managers' only door to the kernel — control files, cgroup directories,
// signals and device-filter programs — so that tests can run every manager against a fake
// cgroupfs in a temporary directory (see fake_cgroup_io.h).
//
// The base class is the real thing, with cgroupfs semantics: writes open an existing file
// O_WRONLY (no O_CREAT, so a missing control file is ENOENT, as with runc), one write(2) per
// call. It holds no state; one instance may be shared by any number of managers.
#pragma once

#include <linux/bpf.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::runtime::cgroups {

using BpfProgram = std::vector<bpf_insn>;

class CgroupIo {
  public:
    virtual ~CgroupIo() = default;

    virtual Result<std::string> read(const std::string& path);
    // One write(2) of `data` to the existing control file `path`.
    virtual Result<void> write(const std::string& path, std::string_view data);
    // Opens a control file or a cgroup directory (flags as open(2); O_CLOEXEC is added).
    virtual Result<UniqueFd> open(const std::string& path, int flags);
    // Creates one directory; an existing one is not an error.
    virtual Result<void> make_dir(const std::string& path);
    // Removes one (empty) cgroup directory; a missing one is not an error.
    virtual Result<void> remove_dir(const std::string& path);
    virtual Result<void> signal(pid_t pid, int sig);
    // Loads `program` as a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup
    // directory `dir`, replacing the device programs attached there before.
    virtual Result<void> install_device_filter(const std::string& dir, const BpfProgram& program);

    bool exists(const std::string& path) const;
    // The names of the sub-directories (child cgroups) of `dir`; empty when `dir` is missing.
    Result<std::vector<std::string>> child_dirs(const std::string& dir) const;
    Result<std::vector<std::string>> file_names(const std::string& dir) const;
};

// The real CgroupIo (stateless, shared).
std::shared_ptr<CgroupIo> real_cgroup_io();

// ---- Values in cgroup files ----

std::string_view trim(std::string_view s);
// A number as cgroupfs prints it: "max" is UINT64_MAX; a negative number (v1's "-1") is 0.
Result<uint64_t> parse_cgroup_uint(std::string_view text);
// "key value" lines (memory.stat, cpu.stat, memory.events): pairs in file order.
Result<std::vector<std::pair<std::string, uint64_t>>> parse_flat_keyed(std::string_view text);

// Readers of one value; a missing file is NotFound (kind), so callers can tell "absent" apart.
Result<uint64_t> read_uint(CgroupIo& io, const std::string& path);
Result<uint64_t> read_keyed(CgroupIo& io, const std::string& path, std::string_view key);
// The content of `path`, or nullopt when it does not exist.
Result<std::optional<std::string>> read_optional(CgroupIo& io, const std::string& path);
// A number, or 0 when the file does not exist.
Result<uint64_t> read_uint_or_zero(CgroupIo& io, const std::string& path);

inline bool is_not_found(const Error& e) {
    return e.sys_errno() == ENOENT;
}

}  // namespace berth::runtime::cgroups
