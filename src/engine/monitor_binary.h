// berth-monitor as berthd starts it: from a protected copy (runtime/self_protect.h) that berthd
// makes once and holds. The zygote, every monitor and every container init or exec'd process
// cloned from one then has that copy as its executable, so a container that runs or opens
// /proc/self/exe (an entrypoint of /proc/self/exe) gets a file it cannot write, never the
// binary on disk (CVE-2019-5736). A new copy is made when the file on disk changes (an upgrade).
//
// Thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::engine {

class MonitorBinary {
  public:
    explicit MonitorBinary(std::string path) : path_(std::move(path)) {}

    // The file on disk: what ps shows as argv[0].
    const std::string& path() const { return path_; }

    // What to execute, /proc/self/fd/N of the protected copy; `copy` keeps N open for as long as
    // the caller holds it (a newer copy may replace it meanwhile).
    struct Executable {
        std::shared_ptr<const UniqueFd> copy;
        std::string exec_path;
    };
    Result<Executable> executable();

  private:
    struct Identity {
        dev_t dev = 0;
        ino_t ino = 0;
        off_t size = 0;
        time_t mtime_sec = 0;
        long mtime_nsec = 0;
        bool operator==(const Identity&) const = default;
    };

    std::string path_;
    std::mutex mutex_;
    std::shared_ptr<const UniqueFd> copy_;
    Identity copied_;  // of the file the copy was made from
};

}  // namespace berth::engine
