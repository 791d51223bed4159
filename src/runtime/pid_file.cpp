#include "runtime/pid_file.h"

#include "base/fs.h"

namespace berth::runtime {

Result<void> write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return {};
    auto absolute = TRY(absolute_path(path));
    TRY_CTX(write_file_atomic(absolute, std::to_string(pid), 0644, Durability::Volatile),
            "write pid file");
    return {};
}

}  // namespace berth::runtime
