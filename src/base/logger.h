// Logger writes diagnostics in runc's formats: text (logfmt) or JSON lines, to stderr or a file.
// containerd's shim reads the last "error" line of a JSON log to tell users why a runtime failed,
// so error lines must reach the log file whatever else happens.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace berth {

enum class LogFormat { Text, Json };
enum class LogLevel { Debug, Info, Warning, Error };

class Logger {
  public:
    Logger() = default;
    // path empty: stderr. The file is opened for append and created if missing.
    Result<void> open(const std::string& path, LogFormat format, bool debug);

    void debug(std::string_view msg) const { write(LogLevel::Debug, msg); }
    void info(std::string_view msg) const { write(LogLevel::Info, msg); }
    void warn(std::string_view msg) const { write(LogLevel::Warning, msg); }
    void error(std::string_view msg) const { write(LogLevel::Error, msg); }
    bool to_stderr() const { return !file_.valid(); }
    int fd() const { return file_.valid() ? file_.get() : 2; }

  private:
    void write(LogLevel level, std::string_view msg) const;

    UniqueFd file_;
    LogFormat format_ = LogFormat::Text;
    bool debug_ = false;
};

}  // namespace berth
