#include "spec/image_defaults.h"

#include <gtest/gtest.h>

namespace berth::spec {
namespace {

const Json kImage = Json::parse(R"({
  "User": "app", "WorkingDir": "/srv", "StopSignal": "SIGQUIT",
  "Env": ["PATH=/usr/bin", "LANG=C"], "Cmd": ["serve"], "Entrypoint": ["/entry"],
  "Labels": {"a": "image", "b": "image"}, "ExposedPorts": {"80/tcp": {}},
  "Volumes": {"/data": {}},
  "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5000000000, "Retries": 3}
})");

TEST(MergeImageConfig, RequestWinsAndImageFillsTheRest) {
    Json request =
        Json::parse(R"({"Image": "web", "Env": ["LANG=de", "X=1"], "Labels": {"a": "mine"},
                                   "ExposedPorts": {"443/tcp": {}}})");
    Json merged = merge_image_config(request, kImage).value();
    EXPECT_EQ(merged["Image"], "web");
    EXPECT_EQ(merged["User"], "app");
    EXPECT_EQ(merged["WorkingDir"], "/srv");
    EXPECT_EQ(merged["StopSignal"], "SIGQUIT");
    // docker's order: the request's variables, then the image's it does not override.
    EXPECT_EQ(merged["Env"], Json::parse(R"(["LANG=de", "X=1", "PATH=/usr/bin"])"));
    EXPECT_EQ(merged["Labels"], Json::parse(R"({"a": "mine", "b": "image"})"));
    EXPECT_EQ(merged["ExposedPorts"], Json::parse(R"({"443/tcp": {}, "80/tcp": {}})"));
    EXPECT_EQ(merged["Volumes"], Json::parse(R"({"/data": {}})"));
    EXPECT_EQ(merged["Entrypoint"], Json::parse(R"(["/entry"])"));
    EXPECT_EQ(merged["Cmd"], Json::parse(R"(["serve"])"));
}

TEST(MergeImageConfig, RequestCmdReplacesImageCmdButKeepsEntrypoint) {
    Json merged = merge_image_config({{"Cmd", {"other"}}}, kImage).value();
    EXPECT_EQ(merged["Cmd"], Json::parse(R"(["other"])"));
    EXPECT_EQ(merged["Entrypoint"], Json::parse(R"(["/entry"])"));
}

TEST(MergeImageConfig, RequestEntrypointDropsImageCmd) {
    Json merged = merge_image_config({{"Entrypoint", {"/bin/sh"}}}, kImage).value();
    EXPECT_EQ(merged["Entrypoint"], Json::parse(R"(["/bin/sh"])"));
    EXPECT_TRUE(merged["Cmd"].is_null());
}

TEST(MergeImageConfig, EmptyEntrypointStringResetsIt) {
    Json merged = merge_image_config({{"Entrypoint", {""}}, {"Cmd", {"ls"}}}, kImage).value();
    EXPECT_TRUE(merged["Entrypoint"].is_null());
    EXPECT_EQ(merged["Cmd"], Json::parse(R"(["ls"])"));
    auto none = merge_image_config({{"Entrypoint", {""}}}, kImage);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message(), "no command specified");
}

TEST(MergeImageConfig, NoCommandAnywhereIsAnError) {
    auto r = merge_image_config({{"Image", "x"}}, Json());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(r.error().message(), "no command specified");
}

TEST(MergeImageConfig, HealthcheckMergedFieldByField) {
    Json request = Json::parse(R"({"Cmd": ["x"], "Healthcheck": {"Interval": 1000000000}})");
    Json merged = merge_image_config(request, kImage).value();
    EXPECT_EQ(merged["Healthcheck"]["Interval"], 1000000000);
    EXPECT_EQ(merged["Healthcheck"]["Test"], Json::parse(R"(["CMD", "true"])"));
    EXPECT_EQ(merged["Healthcheck"]["Retries"], 3);
}

TEST(MergeImageConfig, NullImageConfigKeepsRequest) {
    Json merged = merge_image_config({{"Cmd", {"sh"}}, {"Env", {"A=1"}}}, Json()).value();
    EXPECT_EQ(merged["Env"], Json::parse(R"(["A=1"])"));
    EXPECT_EQ(merged["Labels"], Json::object());
}

TEST(MergeImageConfig, WrongTypesAreRejected) {
    auto r = merge_image_config({{"Env", "A=1"}}, kImage);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message(), "Config.Env: must be an array, not string");
}

}  // namespace
}  // namespace berth::spec
