#include "api/create_body.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::api {
namespace {

using ::testing::HasSubstr;

Json parse(std::string_view text) {
    return parse_json(text, "test").value();
}

TEST(KnownCreateFields, UnknownKeysAreDroppedAtEveryLevel) {
    Json body = parse(R"({
        "Image": "busybox", "Cmd": ["sh"], "Secret": {"a": [1, 2]}, "X": 1,
        "Healthcheck": {"Test": ["CMD", "true"], "Extra": true},
        "HostConfig": {"Memory": 1024, "Junk": {"deep": {}},
                       "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}, "More": 1},
                       "Mounts": [{"Type": "tmpfs", "Target": "/t", "Nope": 2,
                                   "TmpfsOptions": {"SizeBytes": 10, "Options": [["noexec"]]}}],
                       "PortBindings": {"80/tcp": [{"HostPort": "8080", "Bogus": 1}]}},
        "NetworkingConfig": {"EndpointsConfig": {"net": {"Aliases": ["a"], "Zzz": 1}}}
    })");
    auto known = known_create_fields(body);
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({
        "Image": "busybox", "Cmd": ["sh"],
        "Healthcheck": {"Test": ["CMD", "true"]},
        "HostConfig": {"Memory": 1024,
                       "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m"}},
                       "Mounts": [{"Type": "tmpfs", "Target": "/t",
                                   "TmpfsOptions": {"SizeBytes": 10, "Options": [["noexec"]]}}],
                       "PortBindings": {"80/tcp": [{"HostPort": "8080"}]}},
        "NetworkingConfig": {"EndpointsConfig": {"net": {"Aliases": ["a"]}}}
    })"));
}

TEST(KnownCreateFields, KeysMatchIgnoringCaseAsInGo) {
    auto known = known_create_fields(parse(R"({"image": "busybox", "CMD": ["true"],
                                               "hostconfig": {"autoremove": true}})"));
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({"Image": "busybox", "Cmd": ["true"],
                                "HostConfig": {"AutoRemove": true}})"));
    // The exact name wins over a folded one.
    auto both = known_create_fields(parse(R"({"Image": "a", "image": "b"})"));
    ASSERT_TRUE(both);
    EXPECT_EQ((*both)["Image"], "a");
}

TEST(KnownCreateFields, SetsKeepOnlyTheirKeys) {
    auto known = known_create_fields(
        parse(R"({"ExposedPorts": {"80/tcp": {"x": [[[]]]}}, "Volumes": {"/data": {}}})"));
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({"ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}}})"));
}

TEST(KnownCreateFields, NestingWhereDockerHasNoneIsRefused) {
    for (const char* text :
         {R"({"Labels": {"a": {"b": 1}}})", R"({"Cmd": [["sh"]]})", R"({"User": {"a": {}}})",
          R"({"HostConfig": {"Mounts": [1]}})", R"({"HostConfig": {"Sysctls": {"k": [1]}}})",
          R"({"Healthcheck": "CMD true"})"}) {
        auto known = known_create_fields(parse(text));
        ASSERT_FALSE(known) << text;
        EXPECT_EQ(known.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_THAT(known.error().message(), HasSubstr("must be")) << text;
    }
    auto labels = known_create_fields(parse(R"({"Labels": {"a": {"b": 1}}})"));
    EXPECT_EQ(labels.error().message(), "Config.Labels.a: must be a string, not object");
}

TEST(KnownCreateFields, ShallowTypeMistakesAreLeftToTheEngine) {
    // The engine names these itself ("Config.Tty: must be a boolean, not string").
    auto known = known_create_fields(parse(R"({"Tty": "yes", "Env": "A=1", "Cmd": [1]})"));
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({"Tty": "yes", "Env": "A=1", "Cmd": [1]})"));
}

TEST(KnownConfigFields, ACommitsConfigKeepsOnlyTheContainerConfigsFields) {
    auto known = known_config_fields(parse(R"({"cmd": ["sh"], "Labels": {"a": "b"},
        "Secret": {"x": [[[]]]}, "HostConfig": {"Privileged": true},
        "NetworkingConfig": {"EndpointsConfig": {}}, "Healthcheck": {"Test": ["NONE"], "Y": 1}})"));
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({"Cmd": ["sh"], "Labels": {"a": "b"},
                                "Healthcheck": {"Test": ["NONE"]}})"));
    auto nested = known_config_fields(parse(R"({"Labels": {"a": {"b": 1}}})"));
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().message(), "Config.Labels.a: must be a string, not object");
}

TEST(KnownExecFields, UnknownKeysAreDropped) {
    auto known = known_exec_fields(
        parse(R"({"cmd": ["true"], "Tty": false, "Extra": {"x": [[[]]]}, "Env": ["A=1"]})"));
    ASSERT_TRUE(known) << known.error().message();
    EXPECT_EQ(*known, parse(R"({"Cmd": ["true"], "Tty": false, "Env": ["A=1"]})"));
    EXPECT_FALSE(known_exec_fields(parse(R"({"Cmd": [["true"]]})")));
}

}  // namespace
}  // namespace berth::api
