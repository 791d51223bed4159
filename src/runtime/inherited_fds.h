// The file descriptors a container process may hold before it runs its program. Its init and an
// exec child start as copies of the runtime's process (or of berth-monitor's, with the
// container's logs, sockets and cgroup directory open). Close-on-exec is not enough: until
// execve, every fd is reachable through /proc/self/fd/N, so a cwd, an executable path or a
// file of the image resolved through one would land on the host (CVE-2024-21626). The child
// therefore closes every fd it does not need first thing, and again right before it resolves
// anything the container's configuration or image names.
#pragma once

#include <initializer_list>
#include <span>

namespace berth::runtime {

// Closes every fd from 3 on except the `preserved` ones right after stdio (3 … 3+preserved-1,
// as --preserve-fds passes them) and those in `keep` (negative entries are ignored).
void close_fds_except(int preserved, std::span<const int> keep);
void close_fds_except(int preserved, std::initializer_list<int> keep);

}  // namespace berth::runtime
