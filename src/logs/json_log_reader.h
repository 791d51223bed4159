// docker's json-file log driver, read side (`docker logs`, GET /containers/{id}/logs): reads the
// files JsonLogWriter (or dockerd) wrote, across rotations, and optionally follows new entries.
#pragma once

#include <ctime>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/error.h"
#include "logs/json_log_writer.h"

namespace berth::logs {

struct LogEntry {
    LogStream stream = LogStream::Stdout;
    timespec time{};
    std::string line;  // the "log" text as written: a complete line keeps its '\n'
};

struct LogReadOptions {
    bool show_stdout = true;
    bool show_stderr = true;
    // As docker's forwarder: entries before `since` are skipped until the first one at or after
    // it (inclusive); from then on none is skipped for its time, as times need not be monotonic.
    std::optional<timespec> since;
    // The first entry after `until` (exclusive) ends the read, the follow included.
    std::optional<timespec> until;
    // The last `tail` entries across all files (-1: all). As in docker, tail counts entries of
    // both streams before the stream selection and since/until are applied.
    int64_t tail = -1;
};

// Receives entries oldest first; returning false stops the read (the client went away). The
// entry is reused for the next call: copy what must outlive the call.
using LogSink = std::function<bool(const LogEntry&)>;

// Reads `path` and its rotated files (<path>.<max_file-1> … <path>.1 oldest first, then <path>).
// A missing log file reads as empty. A line that does not decode (corrupt, or cut off by a killed
// writer) is skipped, as are entries of streams other than stdout/stderr.
Result<void> read_logs(const std::string& path, int max_file, const LogReadOptions& options,
                       const LogSink& sink);

// How berthd ends a follow (both optional, -1 = none; neither is read or closed):
struct FollowSignals {
    // Becomes readable when the container has stopped and its monitor has written its last entry
    // (the engine's stopped_signal eventfd). The follower then delivers what remains and returns.
    int stopped_fd = -1;
    // Readable or hung up: return at once without draining. The engine's shutdown eventfd, or the
    // client's socket: an HTTP/1.1 client sends nothing more on a logs request, so readability
    // there means it closed the connection. Without it a vanished client is noticed only when
    // the next entry fails to reach it (the sink returns false).
    int cancel_fd = -1;
};

// read_logs, then delivers entries as they are appended until `signals.stopped_fd` fires (then
// drains and returns), `signals.cancel_fd` fires, the sink returns false or `until` is passed.
// Waits with inotify on the log's directory (polling when inotify is unavailable) and follows
// rotations: when <path> is renamed to <path>.1 and a new <path> is created, the rest of the old
// file is read first, then files rotated past unseen, then the new file; no entry is lost or
// delivered twice. Blocks the calling thread.
Result<void> follow_logs(const std::string& path, int max_file, const LogReadOptions& options,
                         const LogSink& sink, FollowSignals signals);

// Parses one json-file line ({"log":…,"stream":…,"time":…}); nullopt if it does not decode.
std::optional<LogEntry> decode_log_line(std::string_view line);

// RFC 3339 with up to nine fraction digits and a Z or ±hh:mm offset, to a UTC timespec.
std::optional<timespec> parse_rfc3339_nano(std::string_view text);

// What `docker logs --timestamps` puts before each line: the entry's time in RFC 3339 with all
// nine fraction digits, then a space: "2026-11-28T07:42:00.120000000Z ".
std::string log_timestamp_prefix(timespec time);

}  // namespace berth::logs
