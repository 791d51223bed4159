#include "logs/json_log_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "base/unique_fd.h"

namespace berth::logs {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// No entry a json-file writer makes comes near this (a 16 KiB piece, every byte escaped in six,
// is under 100 KiB): a longer line is damage (a block of zeros after a crash, garbage) and is
// skipped without being held, so a damaged file cannot make a reader hold all of it.
constexpr size_t kMaxEntryBytes = 1 << 20;
// Without inotify (out of instances, say) the follower looks for new entries this often; with it,
// this is only a safety net.
constexpr int kPollIntervalMs = 250;
constexpr int kInotifyIntervalMs = 2000;
// Opening the files races with rotation; a changed current file means open them again.
constexpr int kOpenAttempts = 8;

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const FileId&) const = default;
};

Result<FileId> id_of_fd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail_errno("stat log file");
    return FileId{st.st_dev, st.st_ino};
}

Result<std::optional<FileId>> id_of_path(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return std::nullopt;
        return fail_errno("stat " + path);
    }
    return FileId{st.st_dev, st.st_ino};
}

Result<UniqueFd> open_if_exists(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd && errno != ENOENT) return fail_errno("open " + path);
    return fd;
}

std::string rotated_name(const std::string& path, int i) {
    return path + "." + std::to_string(i);
}

bool before(const timespec& a, const timespec& b) {
    return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

// One log file being read front to back; `carry` holds the start of a line not yet terminated.
struct Source {
    UniqueFd fd;
    FileId id;
    std::string carry;
    bool overlong = false;  // inside a line longer than kMaxEntryBytes: dropped up to its end
    // Read no further than this offset (-1: to the end). A plain read stops where the current
    // file ended when it began, as docker's does, so a busy writer cannot keep it going.
    off_t limit = -1;
};

// Applies the read options to decoded lines and hands the survivors to the sink.
class Forwarder {
  public:
    Forwarder(const LogReadOptions& options, const LogSink& sink)
        : options_(options), sink_(sink), since_(options.since) {}

    // The read buffer of drain(), kept for the whole read.
    std::string chunk = std::string(kReadChunk, '\0');

    // False once reading must end: the sink refused an entry or `until` was passed.
    bool line(std::string_view text) {
        auto entry = decode_log_line(text);
        if (!entry) return true;  // corrupt: skipped, like docker's reader does
        if (since_) {
            if (before(entry->time, *since_)) return true;
            since_.reset();
        }
        if (options_.until && before(*options_.until, entry->time)) return false;
        if (entry->stream == LogStream::Stdout ? !options_.show_stdout : !options_.show_stderr)
            return true;
        return sink_(*entry);
    }

  private:
    const LogReadOptions& options_;
    const LogSink& sink_;
    std::optional<timespec> since_;
};

// Reads `source` from its file position to the end of the file, forwarding every complete line.
// Returns false if the forwarder ended the read.
Result<bool> drain(Source& source, Forwarder& forward) {
    std::string& chunk = forward.chunk;
    off_t left = -1;
    if (source.limit >= 0) {
        off_t position = ::lseek(source.fd.get(), 0, SEEK_CUR);
        if (position < 0) return fail_errno("seek log file");
        left = std::max<off_t>(source.limit - position, 0);
    }
    for (;;) {
        size_t want = chunk.size();
        if (left >= 0) want = std::min(want, static_cast<size_t>(left));
        if (want == 0) return true;
        ssize_t n = ::read(source.fd.get(), chunk.data(), want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read log file");
        }
        if (n == 0) return true;
        if (left >= 0) left -= n;
        std::string_view data(chunk.data(), static_cast<size_t>(n));
        while (!data.empty()) {
            size_t newline = data.find('\n');
            if (newline == std::string_view::npos) {
                if (!source.overlong) source.carry.append(data);
                if (source.carry.size() > kMaxEntryBytes) {
                    std::string().swap(source.carry);
                    source.overlong = true;
                }
                break;
            }
            if (source.overlong) {
                source.overlong = false;
                data.remove_prefix(newline + 1);
                continue;
            }
            bool go_on;
            if (source.carry.empty()) {
                go_on = forward.line(data.substr(0, newline));
            } else {
                source.carry.append(data.substr(0, newline));
                go_on = forward.line(source.carry);
                source.carry.clear();
            }
            if (!go_on) return false;
            data.remove_prefix(newline + 1);
        }
    }
}

struct TailStart {
    off_t start = 0;    // where the last `want` complete lines begin
    int64_t found = 0;  // how many lines that is: fewer than `want` if the file has fewer
};

// Scans back from the end of what the read takes of the file (`limit`, the size when it was
// opened; -1: its size now): a file that grows meanwhile must not have its tail counted past
// where the read stops, or the read gets nothing. A trailing unterminated fragment is no line;
// with want 0 the start is right after the last complete line.
Result<TailStart> tail_start(int fd, int64_t want, off_t limit) {
    off_t end = limit;
    if (end < 0) {
        struct stat st {};
        if (::fstat(fd, &st) != 0) return fail_errno("stat log file");
        end = st.st_size;
    }
    std::string block(kReadChunk, '\0');
    bool seen_last_newline = false;
    int64_t found = 0;
    while (end > 0) {
        off_t begin =
            end > static_cast<off_t>(block.size()) ? end - static_cast<off_t>(block.size()) : 0;
        auto length = static_cast<size_t>(end - begin);
        ssize_t n = ::pread(fd, block.data(), length, begin);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail_errno("read log file");
        }
        if (static_cast<size_t>(n) < length)
            length = static_cast<size_t>(n);  // truncated meanwhile
        for (size_t i = length; i-- > 0;) {
            if (block[i] != '\n') continue;
            off_t after = begin + static_cast<off_t>(i) + 1;
            if (!seen_last_newline) {
                seen_last_newline = true;
                if (want == 0) return TailStart{after, 0};
                continue;
            }
            // A line starts right after this newline.
            if (++found == want) return TailStart{after, found};
        }
        end = begin;
    }
    if (seen_last_newline) ++found;  // the first line of the file
    return TailStart{0, found};
}

// The log files as they are at one instant: rotated ones oldest first, and the current one
// (invalid when there is none yet).
struct LogFiles {
    std::vector<Source> rotated;
    Source current;
};

Result<LogFiles> open_log_files(const std::string& path, int max_file) {
    for (int attempt = 0; attempt < kOpenAttempts; ++attempt) {
        LogFiles files;
        std::optional<FileId> current_id;
        files.current.fd = TRY(open_if_exists(path));
        if (files.current.fd) {
            struct stat st {};
            if (::fstat(files.current.fd.get(), &st) != 0) return fail_errno("stat " + path);
            files.current.id = FileId{st.st_dev, st.st_ino};
            files.current.limit = st.st_size;
            current_id = files.current.id;
        }
        for (int i = 1; i < max_file; ++i) {
            auto fd = TRY(open_if_exists(rotated_name(path, i)));
            if (!fd) continue;
            auto id = TRY(id_of_fd(fd.get()));
            files.rotated.insert(files.rotated.begin(), Source{std::move(fd), id, {}});
        }
        // Rotation always replaces <path>; if it is still the file opened first, no rotation
        // happened while the others were opened.
        if (TRY(id_of_path(path)) == current_id) return files;
    }
    return fail(ErrorKind::Unavailable, "log file " + path + " keeps rotating; try again");
}

// The initial read: tail, then every selected file front to back. Returns false if the
// forwarder ended the read.
Result<bool> read_existing(LogFiles& files, const LogReadOptions& options, Forwarder& forward) {
    std::vector<Source*> all;
    all.reserve(files.rotated.size() + 1);
    for (auto& source : files.rotated)
        all.push_back(&source);
    if (files.current.fd) all.push_back(&files.current);

    size_t first = 0;  // the oldest file to read from
    if (options.tail >= 0) {
        first = all.size();
        int64_t want = options.tail;
        // Newest first; the file where the count is reached is read from there, older ones not.
        while (want > 0 && first > 0) {
            Source& source = *all[first - 1];
            auto tail = TRY(tail_start(source.fd.get(), want, source.limit));
            if (::lseek(source.fd.get(), tail.start, SEEK_SET) < 0)
                return fail_errno("seek log file");
            want -= tail.found;
            --first;
        }
        if (options.tail == 0 && files.current.fd) {
            // Nothing old: a follower starts after the last complete line.
            auto tail = TRY(tail_start(files.current.fd.get(), 0, files.current.limit));
            if (::lseek(files.current.fd.get(), tail.start, SEEK_SET) < 0)
                return fail_errno("seek log file");
        }
    }
    for (size_t i = first; i < all.size(); ++i) {
        if (!TRY(drain(*all[i], forward))) return false;
    }
    return true;
}

enum class Wake { Changed, Stopped, Cancelled };

Result<Wake> wait_for_change(int inotify_fd, const FollowSignals& signals) {
    pollfd fds[3];
    nfds_t count = 0;
    int inotify_index = -1, stopped_index = -1, cancel_index = -1;
    if (inotify_fd >= 0) {
        inotify_index = static_cast<int>(count);
        fds[count++] = {inotify_fd, POLLIN, 0};
    }
    if (signals.stopped_fd >= 0) {
        stopped_index = static_cast<int>(count);
        fds[count++] = {signals.stopped_fd, POLLIN, 0};
    }
    if (signals.cancel_fd >= 0) {
        cancel_index = static_cast<int>(count);
        fds[count++] = {signals.cancel_fd, POLLIN | POLLRDHUP, 0};
    }
    int timeout = inotify_fd >= 0 ? kInotifyIntervalMs : kPollIntervalMs;
    int ready;
    do {
        ready = ::poll(fds, count, timeout);
    } while (ready < 0 && errno == EINTR);
    if (ready < 0) return fail_errno("poll");
    if (cancel_index >= 0 && fds[cancel_index].revents) return Wake::Cancelled;
    if (stopped_index >= 0 && fds[stopped_index].revents) return Wake::Stopped;
    if (inotify_index >= 0 && fds[inotify_index].revents) {
        // Only the wake-up matters: the caller looks at the files again.
        alignas(inotify_event) char events[4096];
        while (::read(inotify_fd, events, sizeof events) > 0) {
        }
    }
    return Wake::Changed;
}

// Watches the log's directory: appends to the file, and the renames, deletions and creations of
// rotation. Invalid when inotify is unavailable; the follower then polls.
UniqueFd watch_directory(const std::string& path) {
    UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!fd) return fd;
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE;
    if (::inotify_add_watch(fd.get(), dir.c_str(), mask) < 0) fd.reset();
    return fd;
}

// After `old` was rotated away: reads the files rotated after it that were never current while
// we looked (several rotations between two looks), oldest first, stopping at `next`, the file
// that will be read as current. Returns false if the forwarder ended the read.
Result<bool> read_missed_rotations(const std::string& path, int max_file, const FileId& old,
                                   const std::optional<FileId>& next, Forwarder& forward) {
    // Not found: it was rotated out of the set, so every rotated file is newer.
    int old_index = max_file;
    for (int i = 1; i < max_file; ++i) {
        if (TRY(id_of_path(rotated_name(path, i))) == old) {
            old_index = i;
            break;
        }
    }
    for (int i = old_index - 1; i >= 1; --i) {
        Source source;
        source.fd = TRY(open_if_exists(rotated_name(path, i)));
        if (!source.fd) continue;
        source.id = TRY(id_of_fd(source.fd.get()));
        if (next && source.id == *next) break;
        if (!TRY(drain(source, forward))) return false;
    }
    return true;
}

Result<void> read_and_follow(const std::string& path, int max_file, const LogReadOptions& options,
                             const LogSink& sink, const FollowSignals* signals) {
    if (max_file < 1) max_file = 1;
    Forwarder forward(options, sink);
    // Watch before the first read, so that nothing appended in between goes unnoticed.
    UniqueFd inotify = signals ? watch_directory(path) : UniqueFd();
    auto files = TRY_CTX(open_log_files(path, max_file), "read logs");
    if (!TRY_CTX(read_existing(files, options, forward), "read logs") || !signals) return {};
    files.rotated.clear();
    files.current.limit = -1;  // following: on to whatever comes

    std::optional<Source> current;
    if (files.current.fd) current = std::move(files.current);
    bool stopping = false;
    for (;;) {
        if (current && !TRY_CTX(drain(*current, forward), "follow logs")) return {};
        auto now_id = TRY_CTX(id_of_path(path), "follow logs");
        if (!current || now_id != current->id) {
            std::optional<Source> next;
            if (now_id) {
                Source source;
                source.fd = TRY_CTX(open_if_exists(path), "follow logs");
                if (source.fd) {
                    source.id = TRY_CTX(id_of_fd(source.fd.get()), "follow logs");
                    next = std::move(source);
                }
            }
            if (current) {
                // Rotated: the writer finished with the old file before it created the new
                // one, so its end is final. An unterminated rest is a torn entry.
                if (!TRY_CTX(drain(*current, forward), "follow logs")) return {};
                std::optional<FileId> next_id;
                if (next) next_id = next->id;
                if (!TRY_CTX(read_missed_rotations(path, max_file, current->id, next_id, forward),
                             "follow logs"))
                    return {};
            }
            if (next || current) {
                current = std::move(next);
                continue;  // read the new file, then look again
            }
        }
        if (stopping) return {};
        switch (TRY_CTX(wait_for_change(inotify.get(), *signals), "follow logs")) {
            case Wake::Cancelled:
                return {};
            case Wake::Stopped:
                stopping = true;  // one more pass over the files, then done
                break;
            case Wake::Changed:
                break;
        }
    }
}

}  // namespace

std::string log_timestamp_prefix(timespec time) {
    std::string out;
    out.reserve(32);
    append_rfc3339_nano(out, time, true);
    out += ' ';
    return out;
}

std::optional<timespec> parse_rfc3339_nano(std::string_view text) {
    auto seconds = parse_rfc3339(text);
    if (!seconds) return std::nullopt;
    timespec t{static_cast<time_t>(*seconds), 0};
    // parse_rfc3339 checked the shape; the fraction, if any, follows the seconds.
    if (text.size() > 19 && text[19] == '.') {
        long nanos = 0;
        int digits = 0;
        for (size_t i = 20; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            if (digits < 9) {
                nanos = nanos * 10 + (text[i] - '0');
                ++digits;
            }
        }
        for (; digits < 9; ++digits)
            nanos *= 10;
        t.tv_nsec = nanos;
    }
    return t;
}

std::optional<LogEntry> decode_log_line(std::string_view line) {
    auto parsed = parse_json(line, "log line");
    if (!parsed || !parsed->is_object()) return std::nullopt;
    Json& j = *parsed;
    LogEntry entry;
    auto stream = j.find("stream");
    if (stream == j.end() || !stream->is_string()) return std::nullopt;
    const auto& name = stream->get_ref<const std::string&>();
    if (name == "stdout") {
        entry.stream = LogStream::Stdout;
    } else if (name == "stderr") {
        entry.stream = LogStream::Stderr;
    } else {
        return std::nullopt;  // docker's logs stream drops unknown sources too
    }
    if (auto log = j.find("log"); log != j.end()) {
        if (!log->is_string()) return std::nullopt;
        entry.line = std::move(log->get_ref<std::string&>());
    }
    if (auto time = j.find("time"); time != j.end()) {
        if (!time->is_string()) return std::nullopt;
        auto parsed = parse_rfc3339_nano(time->get_ref<const std::string&>());
        if (!parsed) return std::nullopt;
        entry.time = *parsed;
    }
    return entry;
}

Result<void> read_logs(const std::string& path, int max_file, const LogReadOptions& options,
                       const LogSink& sink) {
    return read_and_follow(path, max_file, options, sink, nullptr);
}

Result<void> follow_logs(const std::string& path, int max_file, const LogReadOptions& options,
                         const LogSink& sink, FollowSignals signals) {
    return read_and_follow(path, max_file, options, sink, &signals);
}

}  // namespace berth::logs
