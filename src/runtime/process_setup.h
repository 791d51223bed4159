// The last steps before a container process runs its program, shared by a container's init and
// `exec`: rlimits, the user and groups, capabilities, no_new_privs, umask, cwd, and execve.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/runtime_spec.h"

namespace berth::runtime {

// A numeric uid or gid as `exec --user UID[:GID]` and additional gids give it; `what` ("user",
// "group") names it in the error.
Result<uint32_t> parse_id(std::string_view text, std::string_view what);

// Sets KEY=VALUE in `env`, in place of an entry for KEY if there is one.
void set_env(std::vector<std::string>& env, const std::string& entry);

// Looks args[0] up in the PATH of the process's env (or a default PATH), inside the current root.
Result<std::string> find_executable(const oci::Process& process);

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits);
Result<void> set_oom_score_adj(int adj);

// Switches to the configured user (dropping the bounding set first and setting the other
// capability sets after), sets no_new_privs and the umask. Unknown capability names are added
// to `warnings`.
Result<void> switch_user(const oci::Process& process, std::vector<std::string>& warnings);

// Changes directory to the process's cwd and checks that it lies inside our root: a path that
// leads out through an inherited fd or a mount (CVE-2024-21626) is an error, whatever the fd.
Result<void> enter_cwd(const oci::Process& process);
// The first try, as root before the user switch: false when chdir failed (the container's user
// may be allowed where root is not, e.g. on root-squashed NFS); an error when it led outside.
Result<bool> try_enter_cwd(const oci::Process& process);

// The environment the program gets: the configured env, with HOME added from the container's
// /etc/passwd when missing (as runc does).
std::vector<std::string> process_environment(const oci::Process& process);

// Marks every fd from `first_to_close` on close-on-exec, so the program inherits only stdio and
// the preserved fds.
void close_fds_on_exec(int first_to_close);

// execve; returns only on failure.
Error exec_program(const std::string& path, const oci::Process& process,
                   const std::vector<std::string>& env);

}  // namespace berth::runtime
