#include "engine/container.h"

#include <gtest/gtest.h>

#include <set>

#include "base/clock.h"
#include "engine/names.h"

namespace berth::engine {
namespace {

TEST(Container, DocumentRoundTripKeepsEverything) {
    Container c;
    c.id = std::string(64, 'a');
    c.name = "web";
    c.created = "2026-11-28T08:00:00Z";
    c.image = "busybox";
    c.image_id = "sha256:" + std::string(64, 'b');
    c.config = {{"Cmd", {"sh"}}, {"Labels", {{"a", "b"}}}};
    c.host_config = {{"AutoRemove", true}};
    c.state.status = RunState::Exited;
    c.state.exit_code = 3;
    c.state.health = {{"Status", "healthy"}};
    c.restart_count = 2;
    c.manually_stopped = true;
    auto back = container_from_document(container_to_document(c));
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->name, "web");
    EXPECT_EQ(back->state.status, RunState::Exited);
    EXPECT_EQ(back->state.exit_code, 3);
    EXPECT_EQ(back->state.health["Status"], "healthy");
    EXPECT_EQ(back->restart_count, 2);
    EXPECT_TRUE(back->manually_stopped);
    EXPECT_TRUE(back->auto_remove());
    EXPECT_EQ(back->config, c.config);
}

TEST(Container, CorruptDocumentIsAnError) {
    EXPECT_FALSE(container_from_document(Json::array()));
    EXPECT_FALSE(container_from_document({{"id", "x"}}));
    EXPECT_FALSE(
        container_from_document({{"id", "x"}, {"name", "n"}, {"state", {{"status", "flying"}}}}));
}

TEST(Container, StatusTextLikeDockerPs) {
    Container c;
    c.state.status = RunState::Created;
    EXPECT_EQ(status_text(c, 0), "Created");
    c.state.status = RunState::Running;
    c.state.started_at = "2026-11-28T08:00:00Z";
    int64_t start = *parse_rfc3339(c.state.started_at);
    EXPECT_EQ(status_text(c, start + 5), "Up 5 seconds");
    c.state.status = RunState::Paused;
    EXPECT_EQ(status_text(c, start + 120), "Up 2 minutes (Paused)");
    c.state.status = RunState::Running;
    c.state.health = {{"Status", "healthy"}};
    EXPECT_EQ(status_text(c, start + 1), "Up 1 second (healthy)");
    c.state.health = {{"Status", "starting"}};
    EXPECT_EQ(status_text(c, start + 1), "Up 1 second (health: starting)");
    c.state.status = RunState::Exited;
    c.state.exit_code = 137;
    c.state.finished_at = "2026-11-28T09:00:00Z";
    EXPECT_EQ(status_text(c, *parse_rfc3339(c.state.finished_at) + 3600 * 3),
              "Exited (137) 3 hours ago");
}

TEST(Container, CommandIsEntrypointThenCmd) {
    EXPECT_EQ(command_of({{"Entrypoint", {"/init"}}, {"Cmd", {"a", "b"}}}),
              (std::vector<std::string>{"/init", "a", "b"}));
    EXPECT_EQ(command_of({{"Entrypoint", nullptr}, {"Cmd", {"sh"}}}),
              (std::vector<std::string>{"sh"}));
    EXPECT_TRUE(command_of(Json::object()).empty());
}

TEST(ContainerNames, DockerRule) {
    EXPECT_EQ(*validate_container_name("/web-1.a_b"), "web-1.a_b");
    EXPECT_FALSE(validate_container_name("a"));
    EXPECT_FALSE(validate_container_name("-web"));
    EXPECT_FALSE(validate_container_name("we b"));
    EXPECT_FALSE(validate_container_name(""));
    auto error = validate_container_name("bad name").error().message();
    EXPECT_EQ(error,
              "Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

TEST(ContainerNames, GeneratedNamesAvoidTakenOnes) {
    std::set<std::string> taken;
    for (int i = 0; i < 200; ++i) {
        auto name =
            generate_container_name([&](const std::string& n) { return taken.contains(n); });
        EXPECT_TRUE(validate_container_name(name)) << name;
        EXPECT_FALSE(taken.contains(name));
        taken.insert(name);
    }
}

TEST(ContainerNames, RandomIdsAreHex) {
    auto a = random_id(), b = random_id();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(a, b);
}

}  // namespace
}  // namespace berth::engine
