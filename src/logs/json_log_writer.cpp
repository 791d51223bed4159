#include "logs/json_log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "base/fs.h"
#include "base/utf8.h"

namespace berth::logs {
namespace {

constexpr mode_t kLogFileMode = 0640;  // dockerd's
constexpr char kHex[] = "0123456789abcdef";
// An entry buffer grown past this by one odd line is given back afterwards.
constexpr size_t kEntryKeepCapacity = 64 * 1024;

Error invalid(std::string message) {
    return Error(ErrorKind::InvalidArgument, std::move(message));
}

// go-units' FromHumanSize: a decimal number, an optional space, an optional suffix b, k[b],
// k[ib], m…, g…, t…, p… (case-insensitive), all decimal multiples (1k = 1000).
Result<int64_t> parse_human_size(const std::string& text) {
    size_t sep = text.find_last_of("0123456789. ");
    if (sep == std::string::npos) return fail(invalid("invalid size: '" + text + "'"));
    std::string number = text[sep] == ' ' ? text.substr(0, sep) : text.substr(0, sep + 1);
    std::string suffix = text.substr(sep + 1);
    char* end = nullptr;
    errno = 0;
    double size = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(size))
        return fail(invalid("invalid size: '" + text + "'"));
    if (size < 0) return fail(invalid("invalid size: '" + text + "'"));
    if (suffix.empty()) return static_cast<int64_t>(size);
    for (auto& ch : suffix)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto bad_suffix = [&] { return fail(invalid("invalid suffix: '" + suffix + "'")); };
    if (suffix.size() > 3) return bad_suffix();
    if (suffix[0] == 'b') {
        if (suffix.size() > 1) return bad_suffix();
        return static_cast<int64_t>(size);
    }
    static constexpr std::string_view kUnits = "kmgtp";
    size_t unit = kUnits.find(suffix[0]);
    if (unit == std::string_view::npos) return bad_suffix();
    if ((suffix.size() == 2 && suffix[1] != 'b') ||
        (suffix.size() == 3 && suffix.substr(1) != "ib"))
        return bad_suffix();
    return static_cast<int64_t>(size * std::pow(1000.0, static_cast<double>(unit + 1)));
}

// Go's strconv.ParseBool.
std::optional<bool> parse_go_bool(std::string_view s) {
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
    if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
        return false;
    return std::nullopt;
}

void append_digits(std::string& out, long value, int width) {
    char buf[20];
    for (int i = width - 1; i >= 0; --i) {
        buf[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(buf, static_cast<size_t>(width));
}

}  // namespace

Result<JsonLogOptions> parse_json_log_options(const std::map<std::string, std::string>& opts) {
    JsonLogOptions options;
    for (const auto& [key, value] : opts) {
        if (key == "max-size" || key == "max-file" || key == "compress" || key == "env" ||
            key == "env-regex" || key == "labels" || key == "labels-regex" || key == "tag")
            continue;
        return fail(invalid("unknown log opt '" + key + "' for json-file log driver"));
    }
    if (auto it = opts.find("max-size"); it != opts.end()) {
        if (it->second == "-1") {
            options.max_size = -1;
        } else {
            options.max_size = TRY_CTX(parse_human_size(it->second), "max-size");
            if (options.max_size <= 0) return fail(invalid("max-size must be a positive number"));
        }
    }
    if (auto it = opts.find("max-file"); it != opts.end()) {
        const std::string& text = it->second;
        char* end = nullptr;
        errno = 0;
        long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE || n > 1'000'000 || n < -1'000'000)
            return fail(invalid("max-file: invalid number '" + text + "'"));
        if (n < 1) return fail(invalid("max-file cannot be less than 1"));
        options.max_file = static_cast<int>(n);
    }
    if (auto it = opts.find("compress"); it != opts.end()) {
        auto compress = parse_go_bool(it->second);
        if (!compress) return fail(invalid("compress: invalid boolean '" + it->second + "'"));
        if (*compress) {
            if (options.max_file < 2 || options.max_size == -1)
                return fail(invalid(
                    "compress cannot be true when max-file is less than 2 or max-size is not set"));
            return fail(
                ErrorKind::Unsupported,
                "compress=true: compression of rotated json-file logs is not supported yet");
        }
    }
    return options;
}

std::string_view to_string(LogStream stream) {
    return stream == LogStream::Stdout ? "stdout" : "stderr";
}

void append_rfc3339_nano(std::string& out, timespec t, bool fixed_width) {
    std::tm tm{};
    time_t secs = t.tv_sec;
    ::gmtime_r(&secs, &tm);
    append_digits(out, tm.tm_year + 1900, 4);
    out += '-';
    append_digits(out, tm.tm_mon + 1, 2);
    out += '-';
    append_digits(out, tm.tm_mday, 2);
    out += 'T';
    append_digits(out, tm.tm_hour, 2);
    out += ':';
    append_digits(out, tm.tm_min, 2);
    out += ':';
    append_digits(out, tm.tm_sec, 2);
    long nanos = t.tv_nsec;
    if (fixed_width) {
        out += '.';
        append_digits(out, nanos, 9);
    } else if (nanos != 0) {
        int width = 9;
        while (nanos % 10 == 0) {
            nanos /= 10;
            --width;
        }
        out += '.';
        append_digits(out, nanos, width);
    }
    out += 'Z';
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    size_t start = 0;  // the first byte not yet copied
    auto flush = [&](size_t end) { out.append(s.substr(start, end - start)); };
    for (size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
                ++i;
                continue;
            }
            flush(i);
            switch (b) {
                case '\\':
                case '"':
                    out += '\\';
                    out += static_cast<char>(b);
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:  // dockerd writes even \t as \u0009
                    out += "\\u00";
                    out += kHex[b >> 4];
                    out += kHex[b & 0xF];
            }
            start = ++i;
            continue;
        }
        auto [rune, size] = decode_utf8(s, i);
        if (rune < 0) {
            flush(i);
            out += "\\ufffd";
            start = i += size;
            continue;
        }
        if (rune == 0x2028 || rune == 0x2029) {
            flush(i);
            out += "\\u202";
            out += kHex[rune & 0xF];
            start = i += size;
            continue;
        }
        i += size;
    }
    flush(s.size());
    out += '"';
}

Result<JsonLogWriter> JsonLogWriter::open(std::string path, JsonLogOptions options) {
    if (options.max_file < 1) options.max_file = 1;
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, kLogFileMode));
    if (!fd) return fail_errno("open log file " + path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return fail_errno("stat log file " + path);
    int64_t size = st.st_size;
    if (size > 0) {
        // A writer killed mid-entry left a torn line (O_RDWR is for this check): end it, so
        // that readers skip only it and not the first entry appended to it.
        char last = '\n';
        if (::pread(fd.get(), &last, 1, size - 1) == 1 && last != '\n') {
            TRY_CTX(write_all(fd.get(), "\n"), "write log file " + path);
            ++size;
        }
    }
    return JsonLogWriter(std::move(path), options, std::move(fd), size);
}

Result<void> JsonLogWriter::write(LogStream stream, std::string_view data, timespec now) {
    Pending& p = pending_[stream == LogStream::Stdout ? 0 : 1];
    // Mirrors docker's copier: its buffer holds kMaxLogLine bytes; a '\n' inside it ends a line,
    // a full buffer without one becomes a partial entry.
    while (!data.empty()) {
        size_t room = kMaxLogLine - p.bytes.size();
        size_t newline = data.substr(0, room).find('\n');
        if (newline != std::string_view::npos) {
            if (p.bytes.empty()) {
                TRY(emit(stream, data.substr(0, newline), true, now));
            } else {
                p.bytes.append(data.substr(0, newline));
                TRY(emit(stream, p.bytes, true, now));
                p.bytes.clear();
            }
            data.remove_prefix(newline + 1);
        } else if (data.size() >= room) {
            if (p.bytes.empty()) {
                TRY(emit(stream, data.substr(0, room), false, now));
            } else {
                p.bytes.append(data.substr(0, room));
                TRY(emit(stream, p.bytes, false, now));
                p.bytes.clear();
            }
            data.remove_prefix(room);
        } else {
            p.bytes.append(data);
            break;
        }
    }
    return {};
}

Result<void> JsonLogWriter::flush_partial(timespec now) {
    for (LogStream stream : {LogStream::Stdout, LogStream::Stderr}) {
        Pending& p = pending_[stream == LogStream::Stdout ? 0 : 1];
        if (p.bytes.empty()) continue;
        auto written = emit(stream, p.bytes, false, now);
        p.bytes.clear();
        p.in_partial = false;
        TRY(std::move(written));
    }
    return {};
}

Result<void> JsonLogWriter::emit(LogStream stream, std::string_view line, bool complete,
                                 timespec now) {
    if (line.empty() && !complete) return {};
    Pending& p = pending_[stream == LogStream::Stdout ? 0 : 1];
    timespec time = now;
    if (p.in_partial) {
        time = p.partial_time;
    } else if (!complete) {
        p.partial_time = now;
    }
    p.in_partial = !complete;

    entry_.clear();
    entry_ += "{\"log\":";
    if (complete) {
        // The '\n' goes inside the string literal: escape the line, then replace its closing
        // quote by an escaped newline and the quote.
        append_json_string(entry_, line);
        entry_.pop_back();
        entry_ += "\\n\"";
    } else {
        append_json_string(entry_, line);
    }
    entry_ += ",\"stream\":\"";
    entry_ += to_string(stream);
    entry_ += "\",\"time\":\"";
    append_rfc3339_nano(entry_, time);
    entry_ += "\"}\n";

    // docker rotates before a write once the file has reached max-size.
    if (options_.max_size > 0 && size_ >= options_.max_size) TRY(rotate());
    auto written = write_all(fd_.get(), entry_);
    size_t length = entry_.size();
    if (entry_.capacity() > kEntryKeepCapacity) std::string().swap(entry_);
    if (!written) {
        // A full disk takes part of an entry: cut it off, so that the next entry (once there is
        // room again) starts a line of its own instead of being lost with this torn one.
        (void)::ftruncate(fd_.get(), size_);
        return fail(std::move(written).error().context("write log entry to " + path_));
    }
    size_ += static_cast<int64_t>(length);
    return {};
}

Result<void> JsonLogWriter::rotate() {
    // Readers following the file keep their descriptor of it: the current file is renamed away
    // (or, with one file, unlinked) and a new one created, never truncated in place.
    auto ignore_missing = [&](int rc, const std::string& what) -> Result<void> {
        if (rc != 0 && errno != ENOENT) return fail_errno(what);
        return {};
    };
    int keep = options_.max_file;
    if (keep >= 2) {
        std::string oldest = path_ + "." + std::to_string(keep - 1);
        TRY(ignore_missing(::unlink(oldest.c_str()), "remove " + oldest));
        for (int i = keep - 1; i > 1; --i) {
            std::string from = path_ + "." + std::to_string(i - 1);
            std::string to = path_ + "." + std::to_string(i);
            TRY(ignore_missing(::rename(from.c_str(), to.c_str()), "rename " + from));
        }
        std::string first = path_ + ".1";
        TRY(ignore_missing(::rename(path_.c_str(), first.c_str()), "rename " + path_));
    } else {
        TRY(ignore_missing(::unlink(path_.c_str()), "remove " + path_));
    }
    UniqueFd fd(
        ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, kLogFileMode));
    if (!fd) return fail_errno("open log file " + path_);
    fd_ = std::move(fd);
    size_ = 0;
    return {};
}

}  // namespace berth::logs
