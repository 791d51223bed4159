// Deterministic crash injection for the fault-injection suite (tests/faults/), like etcd's
// failpoints: a multi-step operation names each step boundary, and a test makes the process die
// there with SIGKILL, as a kill -9 or a power cut would, to prove the next start repairs it.
#pragma once

#include <string_view>

namespace berth {

// When the environment variable BERTH_FAILPOINT (a comma-separated list of names) holds `name`,
// writes "berth failpoint NAME: SIGKILL" to stderr and kills this process with SIGKILL; else
// does nothing. Names are "<operation>.<step>" in kebab case ("create.after-record"); every one
// is listed in docs/daemon.md ("Failpoints"). Cost when unset: one getenv, no allocation.
void failpoint(std::string_view name);

// Whether the comma-separated `list` names `name` exactly (not as a prefix or part of one).
bool failpoint_list_names(std::string_view list, std::string_view name);

}  // namespace berth
