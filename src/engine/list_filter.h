// docker ps's filters (GET /containers/json?filters=…), checked and applied as dockerd does
// (moby's daemon/list.go):
//   id        a value selects the container whose ID it is a unique prefix of
//   name      a regular expression (searched, not anchored) matched against the name with and
//             without its leading "/" ("^web$" and "^/web$" both find web); an exact name too
//   label     key or key=value; every label filter must hold
//   status    created, running, paused, restarting, removing, exited, dead; lists stopped
//             containers without -a
//   exited    an exit code, of a container that has run and stopped
//   health    none, starting, healthy, unhealthy
//   ancestor, before, since   images and containers the engine resolves
//   volume    a mount's destination or source
//   network   a network name the container is attached to
//   publish, expose   ports (80, 80/tcp, 8000-8080/udp): berth publishes and exposes none yet,
//             so these select nothing
//   is-task   true or false: no berth container is a swarm task
//   isolation accepted and ignored on Linux, as dockerd does
// Values are ORed within a key, keys are ANDed. A bad key or value is dockerd's 400.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "engine/container.h"

namespace berth::engine {

class ListFilter {
  public:
    using Filters = std::map<std::string, std::vector<std::string>>;

    static Result<ListFilter> parse(const Filters& filters);

    // A status filter lists stopped containers too.
    bool wants_stopped() const { return given("status"); }
    bool given(const std::string& key) const;
    const std::vector<std::string>& values(const std::string& key) const;

    // The id filter's selection among every container's ID.
    void select_ids(const std::vector<std::string>& all_ids);
    // The ancestor filter's images, resolved by the caller (none found: nothing matches).
    void set_ancestor_images(std::set<std::string> image_ids) {
        ancestor_images_ = std::move(image_ids);
    }

    // Everything but before/since (the caller's: they depend on the listing's order) and the
    // running-only default. `mounts` and `networks` are what ps shows of the container
    // (Mounts, NetworkSettings.Networks).
    bool matches(const Container& c, const Json& mounts, const Json& networks) const;

  private:
    bool matches_name(const std::string& name) const;

    Filters filters_;
    std::vector<std::optional<std::regex>> name_patterns_;  // nullopt: not a valid regex
    std::set<std::string> selected_ids_;
    std::set<std::string> ancestor_images_;
};

}  // namespace berth::engine
