#include "runtime/mount_options.h"

#include <linux/mount.h>
#include <sys/mount.h>

#include <string_view>

namespace berth::runtime {

namespace {

struct FlagOption {
    std::string_view name;
    bool clear;  // the option turns the flag off
    unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
};

struct RecursiveOption {
    std::string_view name;
    bool clear;
    uint64_t attr;
};

constexpr RecursiveOption kRecursiveOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
};

}  // namespace

unsigned long propagation_flags(const std::string& name) {
    if (name == "private") return MS_PRIVATE;
    if (name == "rprivate") return MS_PRIVATE | MS_REC;
    if (name == "shared") return MS_SHARED;
    if (name == "rshared") return MS_SHARED | MS_REC;
    if (name == "slave") return MS_SLAVE;
    if (name == "rslave") return MS_SLAVE | MS_REC;
    if (name == "unbindable") return MS_UNBINDABLE;
    if (name == "runbindable") return MS_UNBINDABLE | MS_REC;
    return 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& opt : options) {
        if (opt == "bind" || opt == "rbind") {
            out.bind = true;
            out.flags |= MS_BIND | (opt == "rbind" ? MS_REC : 0);
            continue;
        }
        if (opt == "tmpcopyup") {
            out.tmpcopyup = true;
            continue;
        }
        if (unsigned long p = propagation_flags(opt)) {
            out.propagation = p;
            continue;
        }
        bool matched = false;
        for (const auto& f : kFlagOptions) {
            if (f.name != opt) continue;
            if (f.clear) {
                out.flags &= ~f.flag;
                out.clear_flags |= f.flag;
            } else {
                out.flags |= f.flag;
                out.clear_flags &= ~f.flag;
            }
            matched = true;
            break;
        }
        if (!matched) {
            for (const auto& r : kRecursiveOptions) {
                if (r.name != opt) continue;
                // The later option wins: the kernel applies attr_clr before attr_set, so a bit
                // left in both would ignore a later "rrw" after "rro".
                if (r.clear) {
                    out.recursive_clear |= r.attr;
                    out.recursive_set &= ~r.attr;
                } else if ((r.attr & MOUNT_ATTR__ATIME) == r.attr) {
                    // atime attributes are one field (MOUNT_ATTR_RELATIME is 0): setting one
                    // replaces the others, and takes MOUNT_ATTR__ATIME in attr_clr.
                    out.recursive_clear |= MOUNT_ATTR__ATIME;
                    out.recursive_set = (out.recursive_set & ~MOUNT_ATTR__ATIME) | r.attr;
                } else {
                    out.recursive_set |= r.attr;
                    out.recursive_clear &= ~r.attr;
                }
                matched = true;
                break;
            }
        }
        if (matched) continue;
        if (!out.data.empty()) out.data += ',';
        out.data += opt;
    }
    return out;
}

}  // namespace berth::runtime
