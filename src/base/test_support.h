// Fixtures the unit tests share. Header-only and for tests alone: nothing in the programs uses it.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "base/fs.h"

namespace berth {

// A fresh directory under /tmp, removed with everything in it when the fixture goes.
class TempDir {
  public:
    explicit TempDir(std::string_view prefix = "berth-test") {
        std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) std::abort();  // no test can run without it
        path_ = std::move(pattern);
    }
    TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, std::string())) {}
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    TempDir& operator=(TempDir&&) = delete;
    ~TempDir() {
        if (!path_.empty()) (void)remove_all(path_);
    }

    const std::string& path() const { return path_; }
    // A path inside: dir / "etc/passwd".
    std::string operator/(std::string_view relative) const { return join_path(path_, relative); }

  private:
    std::string path_;
};

}  // namespace berth
