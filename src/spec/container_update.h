// docker update (POST /containers/{id}/update): the body is docker's UpdateConfig, the
// Resources fields of HostConfig and RestartPolicy. dockerd (moby's ContainerUpdate) checks it
// alone as it checks a create, merges it into the container's HostConfig (a field left at zero
// keeps its value; conflicts with what is set are 409s), saves that, and applies the body's own
// resources to a running or paused container through its runtime (`update --resources`).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::spec {

// The checks of the body alone (400s, docker's messages); the fields berthd cannot honour yet
// are refused as at create.
Result<void> validate_update(const Json& update);

// The container's HostConfig with the update merged, as moby's UpdateContainer: "Conflicting
// options: Nano CPUs cannot be updated as CPU Period has already been set", "Memory limit
// should be smaller than already set memoryswap limit, update the memoryswap at the same time",
// "Restart policy cannot be updated because AutoRemove is enabled for the container" (409s).
Result<Json> merge_update(const Json& host_config, const Json& update);

// OCI linux.resources with only what the update sets (moby's toContainerdResources): NanoCpus
// become a 100 ms period and its quota, a PidsLimit of 0 or less lifts the limit (-1).
Json update_resources(const Json& update);

}  // namespace berth::spec
