// Seccomp for the container's process: the OCI linux.seccomp object compiled to a BPF program,
// loaded just before execve, and the SCMP_ACT_NOTIFY listener handed to the seccomp agent.
//
// How the pieces fit (as runc does it): the runtime compiles before it clones the container's
// init, so errors and warnings surface in the runtime and the child neither parses nor allocates.
// The child installs the filter as late as possible — after no_new_privs is set, or while it
// still holds CAP_SYS_ADMIN — and from then on every syscall it makes goes through the filter.
// A listener fd must reach the runtime, which sends it on with send_listener_fd(); runc has the
// child write just the fd's number to its sync pipe and takes a copy with pidfd_getfd(2), so that
// only write(2) and the wait for the reply happen under a filter whose agent has no fd yet. A
// syscall the child needs before the agent has the fd must not be sent to the agent, which is why
// SCMP_ACT_NOTIFY on write(2) is refused, as runc refuses it.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "base/unique_fd.h"

namespace berth::runtime {

class SeccompFilter;

struct SeccompOptions {
    // Compile with libseccomp even where the fast compiler applies (tests compare the two).
    bool force_libseccomp = false;
};

// Parses and compiles linux.seccomp. Syscall names libseccomp does not know are skipped with one
// warning naming them (runc skips them too); an unknown action, architecture, operator or flag is
// an InvalidArgument error naming it, an action or flag the kernel lacks is Unsupported. Like runc:
// errnoRet defaults to EPERM, a rule whose action is the default action is dropped, conditions on
// the same argument make separate rules (ORed) while conditions on different arguments are ANDed,
// no "flags" means SECCOMP_FILTER_FLAG_SPEC_ALLOW where the kernel has it, and syscalls newer than
// every syscall the profile names get ENOSYS rather than the default action (unless that is an
// allowing one). An object without defaultAction and syscalls gives an empty filter.
// Thread-safe.
Result<SeccompFilter> compile_seccomp(const Json& seccomp, std::vector<std::string>& warnings,
                                      const SeccompOptions& options = {});

// A compiled filter: immutable, cheap to read from a forked child.
class SeccompFilter {
  public:
    enum class Compiler { None, Fast, Libseccomp };

    // The empty filter: install_seccomp() does nothing.
    SeccompFilter() = default;

    bool empty() const { return program_.empty(); }
    // The BPF program for seccomp(2).
    const std::vector<sock_filter>& program() const { return program_; }
    // SECCOMP_FILTER_FLAG_* for seccomp(2); NEW_LISTENER when the filter notifies.
    unsigned flags() const { return flags_; }
    bool notifies() const { return notifies_; }
    const std::string& listener_path() const { return listener_path_; }
    const std::string& listener_metadata() const { return listener_metadata_; }
    // Which compiler produced the program.
    Compiler compiler() const { return compiler_; }

  private:
    friend Result<SeccompFilter> compile_seccomp(const Json&, std::vector<std::string>&,
                                                 const SeccompOptions&);

    std::vector<sock_filter> program_;
    unsigned flags_ = 0;
    bool notifies_ = false;
    std::string listener_path_;
    std::string listener_metadata_;
    Compiler compiler_ = Compiler::None;
};

// Loads the filter for the calling thread (every thread of the process with
// SECCOMP_FILTER_FLAG_TSYNC). Needs no_new_privs or CAP_SYS_ADMIN. Returns the notify listener fd
// (close-on-exec) when the filter notifies, else an invalid fd. One system call, no allocation
// unless it fails: safe in a child forked from a threaded process.
Result<UniqueFd> install_seccomp(const SeccompFilter& filter);

// The runtime-spec "container process state" the seccomp agent receives: `state` is the
// container's state (ociVersion, id, status, pid, bundle, annotations), `pid` the process whose
// listener this is, as the runtime sees it.
Json seccomp_process_state(const SeccompFilter& filter, pid_t pid, const Json& state);

// Connects to the filter's listenerPath (AF_UNIX, SOCK_STREAM) and sends the container process
// state as JSON with `listener_fd` attached (SCM_RIGHTS, in the first sendmsg), then closes the
// connection.
Result<void> send_listener_fd(const SeccompFilter& filter, int listener_fd, pid_t pid,
                              const Json& state);

// linux.seccomp for `features` (runtime-spec features-linux.md): enabled, actions, operators,
// archs, knownFlags, supportedFlags.
Json seccomp_features_json();

}  // namespace berth::runtime
