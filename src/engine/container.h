// A container as the engine keeps it: what it was created with (docker's Config and HostConfig,
// kept as the JSON the API received so that inspect shows them back unchanged), and its state.
// Persisted as one JSON document per container in the metadata database.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/json.h"

namespace berth::engine {

inline constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

// docker's State.Status values.
enum class RunState { Created, Running, Paused, Restarting, Removing, Exited, Dead };
std::string_view to_string(RunState state);
Result<RunState> run_state_from_string(std::string_view text);

struct ContainerState {
    RunState status = RunState::Created;
    pid_t pid = 0;
    int exit_code = 0;
    bool oom_killed = false;
    std::string error;
    std::string started_at = kZeroTime;
    std::string finished_at = kZeroTime;
    Json health;  // null, or {"Status","FailingStreak","Log"}
};

struct Container {
    std::string id;    // 64 hex
    std::string name;  // without docker's leading '/'
    std::string created;
    std::string image;     // as the client named it
    std::string image_id;  // sha256:…
    Json config;           // merged with the image's config
    Json host_config;
    ContainerState state;
    int restart_count = 0;
    bool has_been_started = false;
    bool manually_stopped = false;  // stop/kill by a user: restart policies leave it down
    bool auto_remove() const;
};

Json container_to_document(const Container& container);
Result<Container> container_from_document(const Json& doc);

// docker ps's Status column: "Up 5 seconds", "Exited (0) 3 minutes ago", "Created"…
std::string status_text(const Container& container, int64_t now_seconds);

// The command line docker shows: Entrypoint and Cmd joined (ps's Command, inspect's Path/Args).
std::vector<std::string> command_of(const Json& config);

}  // namespace berth::engine
