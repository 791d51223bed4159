#include "oci_runtime/runtime_registry.h"

#include <gtest/gtest.h>

namespace berth::oci_runtime {
namespace {

RuntimeRegistry with_crun(std::string default_name = "berth") {
    return RuntimeRegistry("/run/berth", {{"crun", {"/usr/bin/crun", {"--debug"}}}},
                           std::move(default_name));
}

TEST(RuntimeRegistry, EmptyNameIsTheDefault) {
    EXPECT_EQ(with_crun().name_for("").value(), "berth");
    EXPECT_EQ(with_crun("crun").name_for("").value(), "crun");
    EXPECT_EQ(with_crun("crun").default_name(), "crun");
}

TEST(RuntimeRegistry, UnknownNameIsDockersError) {
    auto name = with_crun().name_for("nope");
    ASSERT_FALSE(name);
    EXPECT_EQ(name.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(name.error().message(), "unknown or invalid runtime name: nope");
    EXPECT_FALSE(with_crun().resolve("nope"));
}

TEST(RuntimeRegistry, BerthAndRuncAreTheBuiltinLibrary) {
    for (const char* name : {"berth", "runc", ""}) {
        auto runtime = with_crun().resolve(name);
        ASSERT_TRUE(runtime) << name;
        EXPECT_TRUE(runtime->builtin()) << name;
        EXPECT_EQ(runtime->root, "/run/berth/runtime") << name;
    }
}

TEST(RuntimeRegistry, RegisteredRuntimeIsItsBinaryWithItsOwnRoot) {
    auto crun = with_crun().resolve("crun");
    ASSERT_TRUE(crun);
    EXPECT_FALSE(crun->builtin());
    EXPECT_EQ(crun->path, "/usr/bin/crun");
    EXPECT_EQ(crun->args, std::vector<std::string>{"--debug"});
    EXPECT_EQ(crun->root, "/run/berth/runtime-crun");
    auto by_default = with_crun("crun").resolve("");
    ASSERT_TRUE(by_default);
    EXPECT_EQ(by_default->path, "/usr/bin/crun");
}

TEST(RuntimeRegistry, RegisteredRuncReplacesTheBuiltinOne) {
    RuntimeRegistry registry("/run/berth", {{"runc", {"/usr/sbin/runc", {}}}});
    auto runc = registry.resolve("runc");
    ASSERT_TRUE(runc);
    EXPECT_EQ(runc->path, "/usr/sbin/runc");
    EXPECT_EQ(runc->root, "/run/berth/runtime-runc");
    EXPECT_TRUE(registry.resolve("berth")->builtin());
    EXPECT_EQ(registry.list().at("runc").path, "/usr/sbin/runc");
}

TEST(RuntimeRegistry, ListHasEveryName) {
    auto all = with_crun().list();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all.at("berth").path, "berth-runtime");
    EXPECT_EQ(all.at("runc").path, "berth-runtime");
    EXPECT_EQ(all.at("crun").path, "/usr/bin/crun");
    EXPECT_EQ(all.at("crun").args, std::vector<std::string>{"--debug"});
}

TEST(RuntimeRegistry, BerthCannotBeRegistered) {
    RuntimeRegistry registry("/run/berth", {{"berth", {"/bin/false", {}}}});
    EXPECT_TRUE(registry.resolve("berth")->builtin());
}

}  // namespace
}  // namespace berth::oci_runtime
