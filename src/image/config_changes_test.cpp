#include "image/config_changes.h"

#include <gtest/gtest.h>

namespace berth::image {
namespace {

TEST(ConfigChanges, CommandForms) {
    Json config = Json::object();
    ASSERT_TRUE(apply_config_change(config, R"(CMD ["sh", "-c", "echo hi"])"));
    EXPECT_EQ(config["Cmd"], Json::array({"sh", "-c", "echo hi"}));
    ASSERT_TRUE(apply_config_change(config, "ENTRYPOINT /bin/app --flag"));
    EXPECT_EQ(config["Entrypoint"], Json::array({"/bin/sh", "-c", "/bin/app --flag"}));
    ASSERT_TRUE(apply_config_change(config, "cmd [not json"));
    EXPECT_EQ(config["Cmd"][2], "[not json");
}

TEST(ConfigChanges, EnvLabelsPortsVolumes) {
    Json config = {{"Env", {"PATH=/bin", "A=old"}}};
    ASSERT_TRUE(apply_config_change(config, R"(ENV A=new B="two words")"));
    EXPECT_EQ(config["Env"], Json::array({"PATH=/bin", "A=new", "B=two words"}));
    ASSERT_TRUE(apply_config_change(config, "ENV LEGACY some value"));
    EXPECT_EQ(config["Env"].back(), "LEGACY=some value");
    ASSERT_TRUE(apply_config_change(config, R"(LABEL a=1 "b c"=2)"));
    EXPECT_EQ(config["Labels"]["a"], "1");
    EXPECT_EQ(config["Labels"]["b c"], "2");
    ASSERT_TRUE(apply_config_change(config, "EXPOSE 80 53/udp"));
    EXPECT_TRUE(config["ExposedPorts"].contains("80/tcp"));
    EXPECT_TRUE(config["ExposedPorts"].contains("53/udp"));
    ASSERT_TRUE(apply_config_change(config, "VOLUME /data /logs"));
    EXPECT_TRUE(config["Volumes"].contains("/logs"));
    ASSERT_TRUE(apply_config_change(config, R"(VOLUME ["/json"])"));
    EXPECT_TRUE(config["Volumes"].contains("/json"));
}

TEST(ConfigChanges, WorkdirUserStopsignal) {
    Json config = Json::object();
    ASSERT_TRUE(apply_config_change(config, "WORKDIR /app"));
    ASSERT_TRUE(apply_config_change(config, "WORKDIR sub/../src"));
    EXPECT_EQ(config["WorkingDir"], "/app/src");
    ASSERT_TRUE(apply_config_change(config, "USER 1000:1000"));
    EXPECT_EQ(config["User"], "1000:1000");
    ASSERT_TRUE(apply_config_change(config, "STOPSIGNAL SIGINT"));
    EXPECT_EQ(config["StopSignal"], "SIGINT");
}

TEST(ConfigChanges, RejectsBadInstructions) {
    Json config = Json::object();
    auto run = apply_config_change(config, "RUN echo hi");
    ASSERT_FALSE(run);
    EXPECT_EQ(run.error().message(), "RUN is not a valid change command");
    EXPECT_FALSE(apply_config_change(config, ""));
    EXPECT_FALSE(apply_config_change(config, "EXPOSE 99999"));
    EXPECT_FALSE(apply_config_change(config, "EXPOSE 80/foo"));
    EXPECT_FALSE(apply_config_change(config, "ENV =x"));
    EXPECT_FALSE(apply_config_change(config, "ENV \"unterminated"));
    EXPECT_FALSE(apply_config_change(config, "CMD"));
    EXPECT_FALSE(apply_config_change(config, "ENV A=\xc0"));
    EXPECT_FALSE(apply_config_change(config, "ENV A=\xe0\x9c\xa2")) << "overlong";
    EXPECT_FALSE(apply_config_change(config, "ENV A=\xed\xa0\x80")) << "surrogate";
    Json huge = Json::object();
    ASSERT_TRUE(apply_config_change(huge, "CMD [1e999]"))
        << "a number too large for JSON is shell form, not an abort";
    EXPECT_EQ(huge["Cmd"][2], "[1e999]");
    EXPECT_TRUE(config.empty()) << "failed changes leave the config alone";
}

}  // namespace
}  // namespace berth::image
