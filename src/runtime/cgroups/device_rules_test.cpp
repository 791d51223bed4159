#include "runtime/cgroups/device_rules.h"

#include <gtest/gtest.h>

namespace berth::runtime::cgroups {
namespace {

constexpr uint8_t RW = kDevRead | kDevWrite;

DeviceRule allow(char type, int64_t major, int64_t minor, uint8_t access = kDevAll) {
    return {type, major, minor, access, true};
}
DeviceRule deny(char type, int64_t major, int64_t minor, uint8_t access = kDevAll) {
    return {type, major, minor, access, false};
}

std::vector<std::string> strings(const std::vector<DeviceRule>& rules) {
    std::vector<std::string> out;
    for (const auto& r : rules)
        out.push_back(std::string(r.allow ? "allow " : "deny ") + r.cgroup_string());
    return out;
}

TEST(DeviceRules, AccessStrings) {
    EXPECT_EQ(parse_device_access("mwr").value(), kDevAll);
    EXPECT_EQ(device_access_string(kDevMknod | kDevRead), "rm");
    EXPECT_FALSE(parse_device_access(""));
    EXPECT_FALSE(parse_device_access("rx"));
    EXPECT_EQ(allow('c', 1, 3, RW).cgroup_string(), "c 1:3 rw");
    EXPECT_EQ(deny('a', -1, -1).cgroup_string(), "a *:* rwm");
    EXPECT_EQ(allow('c', 136, -1).cgroup_string(), "c 136:* rwm");
}

TEST(DeviceRules, DenyAllThenAllowsIsAnAllowList) {
    auto p = DevicePolicy::from_rules({deny('a', -1, -1), allow('c', 1, 3, RW), allow('c', 1, 5)});
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_FALSE(p->default_allow());
    EXPECT_TRUE(p->allows('c', 1, 3, kDevRead));
    EXPECT_TRUE(p->allows('c', 1, 3, RW));
    EXPECT_FALSE(p->allows('c', 1, 3, kDevMknod));
    EXPECT_FALSE(p->allows('b', 1, 3, kDevRead));
    EXPECT_TRUE(p->allows('c', 1, 5, kDevAll));
    EXPECT_FALSE(p->allows('c', 1, 9, kDevRead));
    EXPECT_EQ(strings(p->exceptions()),
              (std::vector<std::string>{"allow c 1:3 rw", "allow c 1:5 rwm"}));
}

TEST(DeviceRules, LaterRulesOverrideEarlierOnes) {
    // Allowed, then taken away again: the later rule wins.
    auto p = DevicePolicy::from_rules({allow('c', 1, 3), deny('c', 1, 3, kDevWrite)});
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->allows('c', 1, 3, kDevRead));
    EXPECT_FALSE(p->allows('c', 1, 3, kDevWrite));
    // Allow-all after specific rules resets them: everything is allowed.
    auto q = DevicePolicy::from_rules({allow('c', 1, 3), allow('a', -1, -1)});
    ASSERT_TRUE(q);
    EXPECT_TRUE(q->default_allow());
    EXPECT_TRUE(q->exceptions().empty());
    EXPECT_TRUE(q->allows('b', 8, 0, kDevAll));
    // An allow-list then a deny of something it never allowed changes nothing.
    auto r = DevicePolicy::from_rules({allow('c', 1, 3), deny('c', 1, 5)});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exceptions().size(), 1u);
}

TEST(DeviceRules, DenyListExceptions) {
    auto p = DevicePolicy::from_rules(
        {allow('a', -1, -1), deny('b', 8, -1), deny('c', 1, 5, kDevWrite)});
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->default_allow());
    EXPECT_FALSE(p->allows('b', 8, 1, kDevRead));
    EXPECT_TRUE(p->allows('b', 9, 1, kDevRead));
    EXPECT_FALSE(p->allows('c', 1, 5, RW));
    EXPECT_TRUE(p->allows('c', 1, 5, kDevRead));
    // Sorted by (major, minor, type).
    EXPECT_EQ(strings(p->exceptions()),
              (std::vector<std::string>{"deny c 1:5 w", "deny b 8:* rwm"}));
}

TEST(DeviceRules, PunchingAHoleInAWildcardIsRefused) {
    auto p = DevicePolicy::from_rules({deny('a', -1, -1), allow('c', 136, -1), deny('c', 136, 2)});
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().kind(), ErrorKind::InvalidArgument);
}

TEST(DeviceRules, TransitionFromANewCgroupResetsFirst) {
    DevicePolicy fresh;  // a new v1 cgroup allows everything
    ASSERT_TRUE(fresh.apply(allow('a', -1, -1)));
    auto target =
        DevicePolicy::from_rules({deny('a', -1, -1), allow('c', 1, 5), allow('c', 1, 3, RW)});
    ASSERT_TRUE(target);
    EXPECT_EQ(strings(target->transition_from(fresh)),
              (std::vector<std::string>{"deny a *:* rwm", "allow c 1:3 rw", "allow c 1:5 rwm"}));
}

TEST(DeviceRules, TransitionBetweenAllowListsIsMinimal) {
    auto current = DevicePolicy::from_devices_list("c 1:3 rwm\nc 1:5 rwm\nc 136:* rwm\n");
    ASSERT_TRUE(current) << current.error().message();
    auto target = DevicePolicy::from_rules(
        {deny('a', -1, -1), allow('c', 1, 3, RW), allow('c', 1, 5), allow('c', 1, 9)});
    ASSERT_TRUE(target);
    // No deny-all (which would break running processes), only the differences.
    EXPECT_EQ(strings(target->transition_from(*current)),
              (std::vector<std::string>{"deny c 1:3 m", "deny c 136:* rwm", "allow c 1:9 rwm"}));
    EXPECT_TRUE(target->transition_from(*target).empty());
}

TEST(DeviceRules, DevicesListParsing) {
    auto all = DevicePolicy::from_devices_list("a *:* rwm\n");
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->default_allow());
    auto none = DevicePolicy::from_devices_list("");
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->default_allow());
    EXPECT_FALSE(DevicePolicy::from_devices_list("x 1:3 rwm\n"));
    EXPECT_FALSE(DevicePolicy::from_devices_list("c 1-3 rwm\n"));
}

TEST(DeviceRules, RuncDefaults) {
    auto defaults = default_device_rules();
    EXPECT_EQ(defaults.size(), 11u);
    auto policy = DevicePolicy::from_rules(defaults);
    ASSERT_TRUE(policy);
    EXPECT_TRUE(policy->allows('c', 1, 3, RW));         // /dev/null
    EXPECT_TRUE(policy->allows('c', 136, 7, RW));       // /dev/pts/7
    EXPECT_TRUE(policy->allows('b', 8, 0, kDevMknod));  // mknod anything
    EXPECT_FALSE(policy->allows('b', 8, 0, kDevRead));
    // A spec device at the same path takes the default's place.
    auto without_null = default_device_rules({"/dev/null"});
    EXPECT_EQ(without_null.size(), 10u);

    Json resources = Json::parse(R"({"devices": [{"allow": false, "access": "rwm"}]})");
    append_default_device_rules(resources);
    ASSERT_EQ(resources["devices"].size(), 12u);
    EXPECT_EQ(
        resources["devices"][3],
        Json::parse(R"({"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"})"));
    EXPECT_EQ(resources["devices"][1],
              Json::parse(R"({"allow": true, "type": "c", "access": "m"})"));
    Json null_resources;
    append_default_device_rules(null_resources);
    EXPECT_EQ(null_resources["devices"].size(), 11u);
}

}  // namespace
}  // namespace berth::runtime::cgroups
