#include "engine/list_filter.h"

#include <gtest/gtest.h>

namespace berth::engine {
namespace {

Container container(std::string name, RunState status = RunState::Running) {
    Container c;
    c.id = "abc123" + std::string(58, '0');
    c.name = std::move(name);
    c.image_id = "sha256:1111";
    c.state.status = status;
    c.config = {{"Labels", {{"app", "web"}, {"tier", "front"}}}};
    return c;
}

const Json kNoMounts = Json::array();
const Json kNone = {{"none", Json::object()}};

bool selects(const ListFilter::Filters& filters, const Container& c, const Json& mounts = kNoMounts,
             const Json& networks = kNone) {
    auto filter = ListFilter::parse(filters);
    EXPECT_TRUE(filter) << (filter ? "" : filter.error().message());
    if (!filter) return false;
    filter->select_ids({c.id, "ab9" + std::string(61, '0')});
    return filter->matches(c, mounts, networks);
}

std::string parse_error(const ListFilter::Filters& filters) {
    auto filter = ListFilter::parse(filters);
    return filter ? "" : filter.error().message();
}

TEST(ListFilter, NameMatchesWithAndWithoutTheSlash) {
    auto web = container("web");
    EXPECT_TRUE(selects({{"name", {"^web$"}}}, web));
    EXPECT_TRUE(selects({{"name", {"^/web$"}}}, web));
    EXPECT_TRUE(selects({{"name", {"we"}}}, web));  // searched, not anchored
    EXPECT_FALSE(selects({{"name", {"^eb"}}}, web));
    EXPECT_FALSE(selects({{"name", {"^web$"}}}, container("web2")));
    EXPECT_TRUE(selects({{"name", {"nope", "web"}}}, web));         // values are ORed
    EXPECT_TRUE(selects({{"name", {"web("}}}, container("web(")));  // not a regex: exact
}

TEST(ListFilter, IdIsAUniquePrefix) {
    auto c = container("x");
    EXPECT_TRUE(selects({{"id", {"abc"}}}, c));
    EXPECT_TRUE(selects({{"id", {c.id}}}, c));
    EXPECT_FALSE(selects({{"id", {"ab"}}}, c));   // also the start of ab9…: ambiguous
    EXPECT_FALSE(selects({{"id", {"123"}}}, c));  // inside the ID, not its start
}

TEST(ListFilter, LabelsAreAllRequired) {
    auto c = container("x");
    EXPECT_TRUE(selects({{"label", {"app"}}}, c));
    EXPECT_TRUE(selects({{"label", {"app=web", "tier"}}}, c));
    EXPECT_FALSE(selects({{"label", {"app=web", "tier=back"}}}, c));
    EXPECT_FALSE(selects({{"label", {"missing"}}}, c));
}

TEST(ListFilter, StatusExitedAndHealth) {
    auto exited = container("x", RunState::Exited);
    exited.state.exit_code = 3;
    exited.state.started_at = "2024-01-01T00:00:00Z";
    EXPECT_TRUE(selects({{"status", {"exited"}}}, exited));
    EXPECT_FALSE(selects({{"status", {"running"}}}, exited));
    EXPECT_TRUE(selects({{"exited", {"3"}}}, exited));
    EXPECT_TRUE(selects({{"exited", {"0", "+3"}}}, exited));
    EXPECT_FALSE(selects({{"exited", {"0"}}}, exited));
    EXPECT_FALSE(selects({{"exited", {"0"}}}, container("never", RunState::Created)));
    EXPECT_TRUE(selects({{"health", {"none"}}}, exited));
    exited.state.health = {{"Status", "healthy"}};
    EXPECT_TRUE(selects({{"health", {"healthy"}}}, exited));
    EXPECT_FALSE(selects({{"health", {"none"}}}, exited));
    EXPECT_TRUE(ListFilter::parse({{"status", {"exited"}}})->wants_stopped());
    EXPECT_FALSE(ListFilter::parse({{"exited", {"0"}}})->wants_stopped());
}

TEST(ListFilter, VolumeNetworkPortsTasksIsolation) {
    auto c = container("x");
    Json mounts = {{{"Source", "/host/data"}, {"Destination", "/data"}}};
    EXPECT_TRUE(selects({{"volume", {"/data"}}}, c, mounts));
    EXPECT_TRUE(selects({{"volume", {"/host/data"}}}, c, mounts));
    EXPECT_FALSE(selects({{"volume", {"/other"}}}, c, mounts));
    EXPECT_TRUE(selects({{"network", {"none"}}}, c));
    EXPECT_FALSE(selects({{"network", {"host"}}}, c));
    EXPECT_FALSE(selects({{"publish", {"80"}}}, c));
    EXPECT_FALSE(selects({{"expose", {"8000-8080/udp"}}}, c));
    EXPECT_TRUE(selects({{"is-task", {"false"}}}, c));
    EXPECT_FALSE(selects({{"is-task", {"1"}}}, c));
    EXPECT_TRUE(selects({{"isolation", {"anything"}}}, c));
}

TEST(ListFilter, BadFiltersAreDockersErrors) {
    EXPECT_EQ(parse_error({{"bogus", {"x"}}}), "invalid filter 'bogus'");
    EXPECT_EQ(parse_error({{"exited", {"abc"}}}),
              "invalid filter 'exited=abc': strconv.Atoi: parsing \"abc\": invalid syntax");
    EXPECT_EQ(parse_error({{"status", {"bad"}}}),
              "invalid filter 'status=bad': invalid value for state (bad): must be one of "
              "created, running, paused, restarting, removing, exited, dead");
    EXPECT_EQ(parse_error({{"health", {"ok"}}}),
              "invalid filter 'health=ok': invalid value for health (ok): must be one of none, "
              "starting, healthy, unhealthy");
    EXPECT_EQ(parse_error({{"is-task", {"maybe"}}}), "invalid filter 'is-task=[maybe]'");
    EXPECT_EQ(parse_error({{"is-task", {"true", "false"}}}),
              "invalid filter 'is-task=[true false]'");
    EXPECT_EQ(parse_error({{"publish", {"8080:80"}}}),
              "filter for 'publish' should not contain ':': 8080:80");
    EXPECT_EQ(parse_error({{"expose", {"x"}}}),
              "error while looking up for expose x: invalid start port 'x': invalid syntax");
    EXPECT_EQ(parse_error({{"expose", {"90-80"}}}),
              "error while looking up for expose 90-80: invalid port range: 90-80");
    EXPECT_EQ(parse_error({{"publish", {"99999"}}}),
              "error while looking up for publish 99999: invalid start port '99999': value out "
              "of range");
    EXPECT_EQ(parse_error({{"publish", {"80/tcp"}}, {"name", {"x"}}}), "");
}

}  // namespace
}  // namespace berth::engine
