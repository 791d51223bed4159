#include "base/logger.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "base/clock.h"
#include "base/fs.h"
#include "base/json.h"

namespace berth {

Result<void> Logger::open(const std::string& path, LogFormat format, bool debug) {
    format_ = format;
    debug_ = debug;
    if (path.empty()) return {};
    file_ = TRY(open_fd(path, O_WRONLY | O_APPEND | O_CREAT, 0644));
    return {};
}

static std::string_view level_name(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return "debug";
        case LogLevel::Info:
            return "info";
        case LogLevel::Warning:
            return "warning";
        case LogLevel::Error:
            return "error";
    }
    return "info";
}

void Logger::write(LogLevel level, std::string_view msg) const {
    if (level == LogLevel::Debug && !debug_) return;
    std::string line;
    if (format_ == LogFormat::Json) {
        Json j = {{"level", level_name(level)}, {"msg", msg}, {"time", rfc3339_now()}};
        line = j.dump() + "\n";
    } else if (!file_.valid()) {
        // A person reads stderr: "berth-runtime: <msg>", the way runc prints its errors.
        line = level == LogLevel::Error ? "berth-runtime: "
                                        : "berth-runtime: " + std::string(level_name(level)) + ": ";
        line += msg;
        line += "\n";
    } else {
        Json quoted = std::string(msg);
        line = "time=\"" + rfc3339_now() + "\" level=" + std::string(level_name(level)) +
               " msg=" + quoted.dump() + "\n";
    }
    (void)write_all(fd(), line);
}

}  // namespace berth
