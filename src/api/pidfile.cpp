#include "api/pidfile.h"

#include <signal.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/parse_int.h"

namespace berth::api {

Result<PidFile> PidFile::create(const std::string& path) {
    TRY(mkdir_all(clean_path(path + "/.."), 0755));
    if (auto text = read_file(path)) {
        std::string_view digits = *text;
        while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' '))
            digits.remove_suffix(1);
        pid_t pid = parse_int<pid_t>(digits).value_or(0);
        if (pid > 0 && pid != ::getpid() && (::kill(pid, 0) == 0 || errno == EPERM))
            return fail(ErrorKind::AlreadyExists,
                        "pid file found, ensure berthd is not running or delete " + path +
                            " (process " + std::to_string(pid) + " is alive)");
    }
    TRY_CTX(write_file_atomic(path, std::to_string(::getpid()) + "\n", 0644, Durability::Volatile),
            "write pid file");
    return PidFile(path);
}

PidFile::~PidFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace berth::api
