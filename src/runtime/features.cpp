// `features`: what this runtime supports, in the runtime-spec features.md format, so callers
// (containerd, Kubernetes) can check before they ask.
#include "runtime/capabilities.h"
#include "runtime/runtime.h"
#include "runtime/seccomp.h"

namespace berth::runtime {

Json features_json() {
    return {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.2.0"},
        {"hooks",
         {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
          "poststop"}},
        {"mountOptions",
         {"async",         "atime",        "bind",       "defaults",    "dev",
          "diratime",      "dirsync",      "exec",       "iversion",    "lazytime",
          "loud",          "mand",         "noatime",    "nodev",       "nodiratime",
          "noexec",        "noiversion",   "nolazytime", "nomand",      "norelatime",
          "nostrictatime", "nosuid",       "private",    "rbind",       "rdev",
          "rdiratime",     "relatime",     "remount",    "rexec",       "rnoatime",
          "rnodev",        "rnodiratime",  "rnoexec",    "rnosuid",     "ro",
          "rprivate",      "rrelatime",    "rro",        "rrw",         "rshared",
          "rslave",        "rstrictatime", "rsuid",      "runbindable", "rw",
          "shared",        "silent",       "slave",      "strictatime", "suid",
          "sync",          "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
          {"capabilities", all_capability_names()},
          {"cgroup", {{"v1", false}, {"v2", false}, {"systemd", false}, {"systemdUser", false}}},
          {"seccomp", seccomp_features_json()},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}},
          {"intelRdt", {{"enabled", false}}},
          {"mountExtensions", {{"idmap", {{"enabled", false}}}}}}},
        {"annotations", {{"org.opencontainers.runtime-spec.features.version", "1.2.0"}}},
    };
}

}  // namespace berth::runtime
