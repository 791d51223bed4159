// Mount options of config.json ("ro", "nosuid", "rbind", "rprivate", "size=64m", …) turned into
// what mount(2) and mount_setattr(2) take.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::runtime {

struct MountOptions {
    unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, … for the mount itself
    unsigned long clear_flags = 0;  // flags an option explicitly turned off ("rw", "suid", …)
    unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
    uint64_t recursive_set = 0;     // MOUNT_ATTR_* for "rro", "rnosuid", … (mount_setattr)
    uint64_t recursive_clear = 0;
    bool bind = false;       // "bind" or "rbind" (MS_BIND set in flags)
    bool tmpcopyup = false;  // runc extension: copy the image's content into a new tmpfs
    std::string data;        // everything else, comma-joined, for the filesystem
};

MountOptions parse_mount_options(const std::vector<std::string>& options);

// The flags that a propagation name alone stands for ("rslave" -> MS_SLAVE|MS_REC), 0 if unknown.
unsigned long propagation_flags(const std::string& name);

}  // namespace berth::runtime
