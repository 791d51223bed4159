// PidFile: berthd's PID file, held for the daemon's lifetime and removed when it stops.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::api {

class PidFile {
  public:
    // Writes our PID to `path` (making its directory). A file naming a live process other than
    // us is an error, as with dockerd: two daemons must not share a root; a stale one is
    // replaced.
    static Result<PidFile> create(const std::string& path);
    PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    PidFile& operator=(PidFile&&) = delete;
    PidFile(const PidFile&) = delete;
    ~PidFile();

  private:
    explicit PidFile(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

}  // namespace berth::api
