// docker's json-file log driver, write side: one JSON object per line, byte for byte as dockerd
// writes it, with docker's line splitting and size-based rotation.
//
//   {"log":"hello\n","stream":"stdout","time":"2026-11-28T07:42:00.123456789Z"}
//
// The writer runs inside the per-container monitor, whose memory budget is about half a megabyte:
// it keeps one reusable entry buffer plus at most 16 KiB of unfinished line per stream, and hands
// every entry to the kernel with a single write(2), so a killed monitor loses no written line.
#pragma once

#include <ctime>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth::logs {

// A line longer than this is cut into partial entries (docker's copier buffer size).
inline constexpr size_t kMaxLogLine = 16 * 1024;

struct JsonLogOptions {
    int64_t max_size = -1;  // bytes per file before rotation; -1 = unlimited
    int max_file = 1;       // files kept in total, the current one included
};

// Parses LogConfig.Config for json-file: max-size (docker's decimal units: "100", "1k", "10m",
// "2GB"; "-1" = unlimited), max-file (>= 1; without max-size nothing rotates, as in docker),
// compress ("false" only; compression is not supported yet). docker's common attribute options
// (env, env-regex, labels, labels-regex, tag) are accepted and ignored; anything else is an error
// worded as docker words it.
Result<JsonLogOptions> parse_json_log_options(const std::map<std::string, std::string>& opts);

enum class LogStream { Stdout, Stderr };

std::string_view to_string(LogStream stream);

// Appends `t` (UTC) as Go's RFC3339Nano ("2026-11-28T07:42:00.1234Z": trailing zeros of the
// fraction trimmed, no fraction at all on a whole second), or with fixed_width as docker's
// rfc3339NanoFixed (always nine digits), the form of `docker logs --timestamps`.
void append_rfc3339_nano(std::string& out, timespec t, bool fixed_width = false);

// Appends `bytes` as a JSON string literal, quotes included, escaped as dockerd's json-file writer
// does: \" \\ \n \r, every other byte below 0x20 and < > & as \u00XX, U+2028/U+2029 as \u2028/
// \u2029, each invalid UTF-8 byte as \ufffd.
void append_json_string(std::string& out, std::string_view bytes);

// Writes one container's json-file log. Not thread-safe: the monitor calls it from its one loop.
// Move-only; owns the open log file.
class JsonLogWriter {
  public:
    // Opens (creating, mode 0640) `path` for appending; an existing file is continued.
    static Result<JsonLogWriter> open(std::string path, JsonLogOptions options);

    // Appends bytes read from the container's stream and writes every line they complete. Lines
    // keep their '\n'; a line reaching kMaxLogLine bytes is written in partial entries without
    // one. All pieces of a cut line carry the time its first piece was written, as in docker.
    Result<void> write(LogStream stream, std::string_view data, timespec now);
    // End of the streams: writes what remains of both streams' unfinished lines, without '\n'.
    Result<void> flush_partial(timespec now);

    const std::string& path() const { return path_; }

  private:
    struct Pending {
        std::string bytes;        // an unfinished line, shorter than kMaxLogLine, without '\n'
        bool in_partial = false;  // pieces of the current line were written already
        timespec partial_time{};  // the time of its first piece
    };

    JsonLogWriter(std::string path, JsonLogOptions options, UniqueFd fd, int64_t size)
        : path_(std::move(path)), options_(options), fd_(std::move(fd)), size_(size) {}

    Result<void> emit(LogStream stream, std::string_view line, bool complete, timespec now);
    Result<void> rotate();

    std::string path_;
    JsonLogOptions options_;
    UniqueFd fd_;
    int64_t size_ = 0;   // bytes in the current file
    std::string entry_;  // reused for every entry
    std::array<Pending, 2> pending_;
};

}  // namespace berth::logs
