#include "runtime/namespaces.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <climits>
#include <string>
#include <vector>

namespace berth::runtime {
namespace {

oci::Linux with_namespaces(std::vector<oci::Namespace> namespaces) {
    oci::Linux l;
    l.namespaces = std::move(namespaces);
    return l;
}

NamespacePlan plan(std::vector<oci::Namespace> namespaces) {
    auto p = plan_namespaces(with_namespaces(std::move(namespaces)));
    EXPECT_TRUE(p) << p.error().message();
    return p ? std::move(*p) : NamespacePlan{};
}

// What runc's and docker's default config.json ask for.
std::vector<oci::Namespace> default_set() {
    return {{"pid", ""}, {"network", ""}, {"ipc", ""}, {"uts", ""}, {"mount", ""}};
}

TEST(PlanNamespaces, DefaultSet) {
    NamespacePlan p = plan(default_set());
    EXPECT_EQ(p.clone_flags, CLONE_NEWPID);
    EXPECT_EQ(p.unshare_flags, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
    EXPECT_TRUE(p.new_mount);
    EXPECT_FALSE(p.new_user);
    EXPECT_FALSE(p.new_time);
    EXPECT_FALSE(p.join_pid);
    EXPECT_EQ(p.pid_path, "");
    EXPECT_TRUE(p.joins.empty());
}

TEST(PlanNamespaces, NoNamespacesAtAll) {
    NamespacePlan p = plan({});
    EXPECT_EQ(p.clone_flags, 0);
    EXPECT_EQ(p.unshare_flags, 0);
    EXPECT_FALSE(p.new_mount);
    EXPECT_FALSE(p.new_user);
    EXPECT_TRUE(p.joins.empty());
}

TEST(PlanNamespaces, NewUserNamespaceIsMadeByClone) {
    auto namespaces = default_set();
    namespaces.push_back({"user", ""});
    NamespacePlan p = plan(namespaces);
    EXPECT_TRUE(p.new_user);
    EXPECT_EQ(p.clone_flags, CLONE_NEWPID | CLONE_NEWUSER);
    EXPECT_EQ(p.unshare_flags & CLONE_NEWUSER, 0);
    EXPECT_EQ(p.unshare_flags, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
    EXPECT_TRUE(p.joins.empty());
}

TEST(PlanNamespaces, NetworkPathIsJoinedNotUnshared) {
    NamespacePlan p = plan(
        {{"pid", ""}, {"network", "/var/run/netns/blue"}, {"ipc", ""}, {"uts", ""}, {"mount", ""}});
    ASSERT_EQ(p.joins.size(), 1u);
    EXPECT_EQ(p.joins[0].flag, CLONE_NEWNET);
    EXPECT_EQ(p.joins[0].path, "/var/run/netns/blue");
    EXPECT_EQ(p.unshare_flags & CLONE_NEWNET, 0);
    EXPECT_EQ(p.unshare_flags, CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
    EXPECT_EQ(p.clone_flags, CLONE_NEWPID);
    EXPECT_TRUE(p.new_mount);
}

TEST(PlanNamespaces, UserPathIsTheFirstJoin) {
    // Listed last: joined first anyway, so that the others are entered with its privileges.
    NamespacePlan p = plan({{"network", "/proc/1234/ns/net"},
                            {"ipc", "/proc/1234/ns/ipc"},
                            {"mount", ""},
                            {"user", "/proc/1234/ns/user"}});
    ASSERT_EQ(p.joins.size(), 3u);
    EXPECT_EQ(p.joins[0].flag, CLONE_NEWUSER);
    EXPECT_EQ(p.joins[0].path, "/proc/1234/ns/user");
    EXPECT_EQ(p.joins[1].flag, CLONE_NEWNET);
    EXPECT_EQ(p.joins[1].path, "/proc/1234/ns/net");
    EXPECT_EQ(p.joins[2].flag, CLONE_NEWIPC);
    EXPECT_EQ(p.joins[2].path, "/proc/1234/ns/ipc");
    EXPECT_FALSE(p.new_user);
    EXPECT_EQ(p.clone_flags & CLONE_NEWUSER, 0);
    EXPECT_EQ(p.unshare_flags, CLONE_NEWNS);
    EXPECT_TRUE(p.new_mount);
}

TEST(PlanNamespaces, UserPathListedFirstIsJoinedOnce) {
    NamespacePlan p = plan({{"user", "/proc/1/ns/user"}, {"uts", "/proc/1/ns/uts"}});
    ASSERT_EQ(p.joins.size(), 2u);
    EXPECT_EQ(p.joins[0].flag, CLONE_NEWUSER);
    EXPECT_EQ(p.joins[1].flag, CLONE_NEWUTS);
}

TEST(PlanNamespaces, NewTimeNamespaceIsMadeInTheChild) {
    auto namespaces = default_set();
    namespaces.push_back({"time", ""});
    NamespacePlan p = plan(namespaces);
    EXPECT_TRUE(p.new_time);
    EXPECT_EQ(p.unshare_flags & CLONE_NEWTIME, 0);
    EXPECT_EQ(p.clone_flags & CLONE_NEWTIME, 0);
    EXPECT_EQ(p.unshare_flags, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS);
}

TEST(PlanNamespaces, TimePathIsJoined) {
    NamespacePlan p = plan({{"time", "/proc/1/ns/time"}});
    EXPECT_FALSE(p.new_time);
    ASSERT_EQ(p.joins.size(), 1u);
    EXPECT_EQ(p.joins[0].flag, CLONE_NEWTIME);
}

TEST(PlanNamespaces, PidPathIsJoinedByTheParent) {
    NamespacePlan p = plan({{"pid", "/proc/77/ns/pid"}, {"mount", ""}});
    EXPECT_TRUE(p.join_pid);
    EXPECT_EQ(p.pid_path, "/proc/77/ns/pid");
    EXPECT_EQ(p.clone_flags & CLONE_NEWPID, 0);
    EXPECT_EQ(p.unshare_flags & CLONE_NEWPID, 0);
    EXPECT_TRUE(p.joins.empty()) << "the child does not setns into a pid namespace itself";
}

TEST(PlanNamespaces, MountPathMeansNoNewMountNamespace) {
    NamespacePlan p = plan({{"pid", ""}, {"mount", "/proc/1/ns/mnt"}});
    EXPECT_FALSE(p.new_mount);
    EXPECT_EQ(p.unshare_flags & CLONE_NEWNS, 0);
    ASSERT_EQ(p.joins.size(), 1u);
    EXPECT_EQ(p.joins[0].flag, CLONE_NEWNS);
    EXPECT_EQ(p.joins[0].path, "/proc/1/ns/mnt");
}

TEST(PlanNamespaces, CgroupNamespace) {
    NamespacePlan p = plan({{"cgroup", ""}});
    EXPECT_EQ(p.unshare_flags, CLONE_NEWCGROUP);
    EXPECT_EQ(p.clone_flags, 0);
    EXPECT_FALSE(p.new_mount);
}

TEST(PlanNamespaces, EverythingNew) {
    NamespacePlan p = plan({{"pid", ""},
                            {"network", ""},
                            {"mount", ""},
                            {"ipc", ""},
                            {"uts", ""},
                            {"user", ""},
                            {"cgroup", ""},
                            {"time", ""}});
    EXPECT_EQ(p.clone_flags, CLONE_NEWPID | CLONE_NEWUSER);
    EXPECT_EQ(p.unshare_flags,
              CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
    EXPECT_TRUE(p.new_user);
    EXPECT_TRUE(p.new_time);
    EXPECT_TRUE(p.new_mount);
    EXPECT_TRUE(p.joins.empty());
}

TEST(JoinNamespaces, NothingToJoinIsFine) {
    EXPECT_TRUE(join_namespaces(NamespacePlan{}));
}

TEST(JoinNamespaces, AMissingPathIsAnErrorNamingIt) {
    NamespacePlan p;
    p.joins.push_back({CLONE_NEWNET, "/nonexistent/berth-test/ns/net"});
    auto r = join_namespaces(p);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::NotFound);
    EXPECT_NE(r.error().message().find("/nonexistent/berth-test/ns/net"), std::string::npos)
        << r.error().message();
}

TEST(NamespaceDiffers, NotForOurselves) {
    for (const char* ns : {"net", "mnt", "pid", "ipc", "uts", "user", "cgroup"}) {
        SCOPED_TRACE(ns);
        EXPECT_FALSE(namespace_differs(::getpid(), ns));
    }
}

TEST(NamespaceDiffers, NotWhenThePidOrKindIsUnknown) {
    EXPECT_FALSE(namespace_differs(INT_MAX, "net"));
    EXPECT_FALSE(namespace_differs(::getpid(), "no-such-namespace"));
}

}  // namespace
}  // namespace berth::runtime
