// Small file-system helpers that return Result instead of throwing.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

Result<std::string> read_file(const std::string& path);
Result<std::string> read_file_at(int dirfd, const std::string& path);
// Writes the whole of `data` to an existing or new file (O_TRUNC).
Result<void> write_file(const std::string& path, std::string_view data, mode_t mode = 0644);
enum class Durability { Flushed, Volatile };
// Writes atomically: a temp file in the same directory, rename over the target. Flushed also
// fsyncs first, for files that must survive a power cut; Volatile suits state on tmpfs (/run).
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                               Durability durability = Durability::Flushed);
Result<void> write_all(int fd, std::string_view data);
Result<void> mkdir_all(const std::string& path, mode_t mode = 0755);
// Removes a directory tree; a missing path is not an error. It never reaches into another
// mount below the path: it leaves what is mounted there and fails with EBUSY.
Result<void> remove_all(const std::string& path);
bool path_exists(const std::string& path);
Result<UniqueFd> open_fd(const std::string& path, int flags, mode_t mode = 0);

// Joins two paths with exactly one '/' between them.
std::string join_path(std::string_view a, std::string_view b);
// Lexically cleans a path as Go's filepath.Clean: collapses "//", removes "." and resolves ".."
// (never above "/"; a relative path keeps its leading ".."s). "" cleans to ".".
std::string clean_path(std::string_view path);
// The path made absolute against the working directory and cleaned (Go's filepath.Abs).
Result<std::string> absolute_path(std::string_view path);

}  // namespace berth
