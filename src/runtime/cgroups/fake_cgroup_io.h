// Test support (header only): a CgroupIo over a plain directory tree that stands for
// cgroupfs. Writes create or truncate files like ordinary files and are also logged, in order,
// because a real control file keeps every write (devices.allow, io.max) while a plain file keeps
// only the last. New directories can start with the files the kernel would put there;
// directories are removed with their files, signals and device programs are
// recorded instead of sent or attached.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/fs.h"
#include "runtime/cgroups/cgroup_io.h"

namespace berth::runtime::cgroups {

class FakeCgroupIo : public CgroupIo {
  public:
    struct Write {
        std::string path;
        std::string data;
        bool operator==(const Write&) const = default;
    };

    Result<void> write(const std::string& path, std::string_view data) override {
        writes.push_back({path, std::string(data)});
        auto it = fail_writes.find(path);
        if (it != fail_writes.end()) return fail_errno("write " + path, it->second);
        return write_file(path, data);
    }

    Result<void> make_dir(const std::string& path) override {
        bool existed = exists(path);
        TRY(CgroupIo::make_dir(path));
        if (existed) return {};
        // The files the kernel would create in a new cgroup of this hierarchy.
        const std::map<std::string, std::string>* files = nullptr;
        size_t best = 0;
        for (const auto& [top, t] : new_dir_files) {
            if (path.starts_with(top + "/") && top.size() > best) {
                best = top.size();
                files = &t;
            }
        }
        if (files) {
            for (const auto& [name, content] : *files)
                TRY(write_file(join_path(path, name), content));
        }
        return {};
    }

    Result<void> remove_dir(const std::string& path) override {
        removed_dirs.push_back(path);
        // A fake cgroup directory holds plain files; the kernel would drop them with it.
        for (const auto& name : file_names(path).value_or(std::vector<std::string>{}))
            ::unlink(join_path(path, name).c_str());
        return CgroupIo::remove_dir(path);
    }

    Result<void> signal(pid_t pid, int sig) override {
        signals.emplace_back(pid, sig);
        return {};
    }

    Result<void> install_device_filter(const std::string& dir, const BpfProgram& program) override {
        device_programs[dir] = program;
        return {};
    }

    // The data written to `path`, in order.
    std::vector<std::string> writes_to(const std::string& path) const {
        std::vector<std::string> out;
        for (const auto& w : writes)
            if (w.path == path) out.push_back(w.data);
        return out;
    }

    std::vector<Write> writes;
    // mount point → files (and contents) every new directory below it starts with.
    std::map<std::string, std::map<std::string, std::string>> new_dir_files;
    std::map<std::string, int> fail_writes;  // path → errno to fail writes with
    std::vector<std::string> removed_dirs;
    std::vector<std::pair<pid_t, int>> signals;
    std::map<std::string, BpfProgram> device_programs;
};

}  // namespace berth::runtime::cgroups
