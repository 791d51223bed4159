// docker update: new resource limits and restart policy for a container, saved in its
// HostConfig and applied at once to a running one (container_update.h has dockerd's rules).
#include "engine/engine.h"
#include "engine/engine_entry.h"
#include "spec/container_update.h"
#include "spec/spec_parts.h"

namespace berth::engine {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

bool is_running(RunState s) {
    return s == RunState::Running || s == RunState::Paused;
}

Error cannot_update(const std::string& id, const Error& error) {
    return Error(error.kind(), "Cannot update container " + id + ": " + error.message());
}

}  // namespace

Result<std::vector<std::string>> Engine::update(std::string_view ref, const Json& body) {
    TRY(spec::validate_update(body));
    Json update = body;
    std::vector<std::string> warnings = spec::discard_unsupported_resources(update, kCgroupRoot);
    auto entry = TRY(resolve(ref));
    std::lock_guard op(entry->op);
    Json previous;
    bool running;
    Container c;
    {
        std::lock_guard lock(mutex_);
        auto& container = entry->container;
        if (entry->removed || container.state.status == RunState::Removing ||
            container.state.status == RunState::Dead)
            return fail(ErrorKind::Conflict,
                        "Cannot update container " + container.id +
                            ": container is marked for removal and cannot be \"update\"");
        auto merged = spec::merge_update(container.host_config, update);
        if (!merged) return fail(cannot_update(container.id, merged.error()));
        previous = container.host_config;
        container.host_config = std::move(*merged);
        if (auto saved = persist(container); !saved) {
            container.host_config = previous;
            return fail(cannot_update(container.id, saved.error()));
        }
        // A restarting container gets its new limits at the coming start.
        running = is_running(container.state.status);
        c = container;
    }
    publish(c, "update");
    Json resources = spec::update_resources(update);
    if (!running || resources.empty()) return warnings;
    if (auto applied = runtime_of(*entry)->update(resources); !applied) {
        std::lock_guard lock(mutex_);
        entry->container.host_config = previous;
        (void)persist(entry->container);
        return fail(Error(ErrorKind::Internal,
                          "Cannot update container " + c.id + ": " + applied.error().message()));
    }
    return warnings;
}

}  // namespace berth::engine
