#include "runtime/cgroups/cgroup_path.h"

#include <gtest/gtest.h>

namespace berth::runtime::cgroups {
namespace {

std::string resolved(std::string_view cgroups_path, std::string_view id = "abc") {
    auto r = resolve_cgroup_path(cgroups_path, id);
    if (!r) return "error: " + r.error().message();
    return r->path;
}

TEST(CgroupPath, AbsolutePathsAreKeptCleaned) {
    EXPECT_EQ(resolved("/docker/abc"), "/docker/abc");
    EXPECT_EQ(resolved("/a//b/./c/"), "/a/b/c");
    EXPECT_EQ(resolved("/docker/../../../x"), "/x");
    EXPECT_FALSE(resolve_cgroup_path("/docker/abc", "abc")->relative());
}

TEST(CgroupPath, RelativePathsStayRelativeAndCannotClimbOut) {
    EXPECT_EQ(resolved("berth-peer/abc"), "berth-peer/abc");
    EXPECT_EQ(resolved("../../x/y"), "x/y");
    EXPECT_EQ(resolved("./a/../b"), "b");
    EXPECT_TRUE(resolve_cgroup_path("berth-peer/abc", "abc")->relative());
}

TEST(CgroupPath, EmptyPathIsTheContainerIdBelowOurCgroup) {
    EXPECT_EQ(resolved("", "mycontainer"), "mycontainer");
    EXPECT_TRUE(resolve_cgroup_path("", "mycontainer")->relative());
    EXPECT_FALSE(resolve_cgroup_path("", "a/b"));
    EXPECT_FALSE(resolve_cgroup_path("", ".."));
    EXPECT_FALSE(resolve_cgroup_path("", ""));
}

TEST(CgroupPath, TheRootCgroupIsRefused) {
    for (const char* p : {"/", "/..", "..", ".", "/./"}) {
        auto r = resolve_cgroup_path(p, "abc");
        ASSERT_FALSE(r) << p;
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    }
}

TEST(CgroupPath, SystemdFormMapsToTheScopeSystemdWouldCreate) {
    EXPECT_EQ(resolved("system.slice:docker:abc"), "/system.slice/docker-abc.scope");
    EXPECT_EQ(resolved(":docker:abc"), "/system.slice/docker-abc.scope");
    EXPECT_EQ(resolved("a-b.slice:berth:x"), "/a.slice/a-b.slice/berth-x.scope");
    EXPECT_EQ(resolved("machine.slice::abc"), "/machine.slice/abc.scope");
    EXPECT_EQ(resolved("-.slice:berth:abc"), "/berth-abc.scope");
    EXPECT_EQ(resolved("user.slice:berth:my.slice"), "/user.slice/my.slice");
    EXPECT_FALSE(resolve_cgroup_path("notaslice:docker:abc", "abc"));
    EXPECT_FALSE(resolve_cgroup_path("a--b.slice:docker:abc", "abc"));
    EXPECT_FALSE(resolve_cgroup_path("system.slice:docker:", "abc"));
}

TEST(CgroupPath, ExpandSlice) {
    EXPECT_EQ(expand_systemd_slice("system.slice").value(), "/system.slice");
    EXPECT_EQ(expand_systemd_slice("test-a-b.slice").value(),
              "/test.slice/test-a.slice/test-a-b.slice");
    EXPECT_EQ(expand_systemd_slice("-.slice").value(), "/");
    for (const char* bad : {".slice", "a", "-a.slice", "a-.slice", "a/b.slice", "a--b.slice"})
        EXPECT_FALSE(expand_systemd_slice(bad)) << bad;
}

CgroupHost v1_host() {
    CgroupHost host;
    host.layout = CgroupLayout::Hybrid;
    host.root = "/sys/fs/cgroup";
    host.v1 = {{"/sys/fs/cgroup/cpu,cpuacct", "/", {"cpu", "cpuacct"}},
               {"/sys/fs/cgroup/memory", "/", {"memory"}},
               {"/sys/fs/cgroup/pids", "/sandbox", {"pids"}}};
    host.unified = "/sys/fs/cgroup/unified";
    host.own = {{"cpu", "/"},
                {"cpuacct", "/"},
                {"memory", "/process_api/123"},
                {"pids", "/sandbox/inner"},
                {"", "/"}};
    return host;
}

TEST(CgroupPath, V1DirectoriesPerHierarchy) {
    auto host = v1_host();
    CgroupPath abs{"/docker/abc"}, rel{"berth/abc"};
    EXPECT_EQ(v1_cgroup_dir(host, host.v1[0], abs), "/sys/fs/cgroup/cpu,cpuacct/docker/abc");
    EXPECT_EQ(v1_cgroup_dir(host, host.v1[1], abs), "/sys/fs/cgroup/memory/docker/abc");
    // Relative: below our own cgroup in each hierarchy, which differ here.
    EXPECT_EQ(v1_cgroup_dir(host, host.v1[0], rel), "/sys/fs/cgroup/cpu,cpuacct/berth/abc");
    EXPECT_EQ(v1_cgroup_dir(host, host.v1[1], rel),
              "/sys/fs/cgroup/memory/process_api/123/berth/abc");
    // The mount shows the hierarchy from /sandbox: our /sandbox/inner is <mount>/inner.
    EXPECT_EQ(v1_cgroup_dir(host, host.v1[2], rel), "/sys/fs/cgroup/pids/inner/berth/abc");
}

TEST(CgroupPath, UnifiedDirectories) {
    auto host = v1_host();
    EXPECT_EQ(v2_cgroup_dir(host, {"/docker/abc"}), "/sys/fs/cgroup/unified/docker/abc");
    // Hybrid: relative paths start at the unified root, as runc's v1 driver places them.
    EXPECT_EQ(v2_cgroup_dir(host, {"berth/abc"}), "/sys/fs/cgroup/unified/berth/abc");

    CgroupHost v2;
    v2.layout = CgroupLayout::V2;
    v2.root = v2.unified = "/sys/fs/cgroup";
    v2.own = {{"", "/user.slice/user-0.slice/session-1.scope"}};
    EXPECT_EQ(v2_cgroup_dir(v2, {"/docker/abc"}), "/sys/fs/cgroup/docker/abc");
    // V2: relative paths go below the parent of our cgroup (which holds processes).
    EXPECT_EQ(v2_cgroup_dir(v2, {"berth/abc"}), "/sys/fs/cgroup/user.slice/user-0.slice/berth/abc");
    v2.own = {{"", "/"}};
    EXPECT_EQ(v2_cgroup_dir(v2, {"abc"}), "/sys/fs/cgroup/abc");
    v2.own = {{"", "/init.scope"}};
    EXPECT_EQ(v2_cgroup_dir(v2, {"abc"}), "/sys/fs/cgroup/abc");
}

}  // namespace
}  // namespace berth::runtime::cgroups
