// docker's seccomp profiles for containers: the default profile (the same rules as
// moby/profiles/seccomp/default.json, kept here as our own table) and the resolution of a profile
// in docker's format — with "archMap", "includes" and "excludes" conditioned on architecture,
// capabilities and kernel version — into the plain OCI linux.seccomp object the runtime compiles.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// What a docker profile's conditions are resolved against.
struct SeccompHost {
    std::string arch;  // docker's (Go) name of the native architecture: "amd64", "arm64", …
    int kernel_major = 0;
    int kernel_minor = 0;

    // The running machine (uname).
    static SeccompHost detect();
};

// The default profile in docker's profile format (archMap, includes/excludes), as
// `docker info`-era tools and `--security-opt seccomp=` files use it.
Json docker_default_seccomp_profile();

// Resolves a profile in docker's format for a container whose bounding capability set is `caps`:
// entries whose conditions do not hold are left out, archMap becomes the native architecture and
// its sub-architectures, "name" becomes "names". Returns null for a profile without defaultAction
// and syscalls (docker: no seccomp). InvalidArgument for a malformed profile.
Result<Json> resolve_seccomp_profile(const Json& profile, const std::vector<std::string>& caps,
                                     const SeccompHost& host);

// The default profile resolved for `caps`, without the syscall names the linked libseccomp does
// not know (the runtime would skip them with a warning anyway; leaving them out keeps the
// container start free of that warning).
Result<Json> default_seccomp_profile(const std::vector<std::string>& caps,
                                     const SeccompHost& host = SeccompHost::detect());

// default_seccomp_profile() of this machine, built once per capability set: resolving docker's
// ~370 syscall names against libseccomp took ~0.4 ms of every container start. Thread-safe.
class DefaultSeccompProfiles {
  public:
    Result<Json> get(const std::vector<std::string>& caps);

  private:
    static constexpr size_t kMaxProfiles = 16;  // sets of capabilities are few; bound them anyway

    const SeccompHost host_ = SeccompHost::detect();
    std::mutex mutex_;
    std::map<std::vector<std::string>, Json> profiles_;  // by sorted capability set
};

}  // namespace berth::spec
