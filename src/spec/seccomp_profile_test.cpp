#include "spec/seccomp_profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/seccomp.h"
#include "spec/default_security.h"

namespace berth::spec {
namespace {

const SeccompHost kAmd64{"amd64", 6, 1};

// The rules of a resolved profile that name `syscall`.
std::vector<Json> rules_for(const Json& profile, const std::string& syscall) {
    std::vector<Json> out;
    for (const Json& rule : profile["syscalls"])
        for (const Json& name : rule["names"])
            if (name == syscall) out.push_back(rule);
    return out;
}

bool allowed_unconditionally(const Json& profile, const std::string& syscall) {
    for (const Json& rule : rules_for(profile, syscall))
        if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) return true;
    return false;
}

TEST(SeccompProfile, DefaultCapsDenyRebootMountAndModules) {
    Json p =
        resolve_seccomp_profile(docker_default_seccomp_profile(), default_capabilities(), kAmd64)
            .value();
    EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(p["defaultErrnoRet"], 1);
    EXPECT_EQ(p["architectures"],
              Json::parse(R"(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])"));
    for (const char* denied : {"reboot", "mount", "umount2", "setns", "unshare", "init_module",
                               "kcmp", "bpf", "acct", "settimeofday"})
        EXPECT_TRUE(rules_for(p, denied).empty()) << denied;
    for (const char* allowed : {"read", "execve", "chroot", "arch_prctl", "modify_ldt", "ptrace"})
        EXPECT_TRUE(allowed_unconditionally(p, allowed)) << allowed;
    EXPECT_TRUE(rules_for(p, "cacheflush").empty());  // arm only
    // No includes/excludes/comments left for the runtime.
    for (const Json& rule : p["syscalls"]) {
        EXPECT_FALSE(rule.contains("includes"));
        EXPECT_FALSE(rule.contains("excludes"));
    }
}

TEST(SeccompProfile, CloneNamespaceFlagsNeedSysAdmin) {
    Json p =
        resolve_seccomp_profile(docker_default_seccomp_profile(), default_capabilities(), kAmd64)
            .value();
    auto clone = rules_for(p, "clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(clone[0]["args"][0]["index"], 0);
    EXPECT_EQ(clone[0]["args"][0]["value"], 0x7E020000);
    EXPECT_EQ(clone[0]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
    auto clone3 = rules_for(p, "clone3");
    ASSERT_EQ(clone3.size(), 1u);
    EXPECT_EQ(clone3[0]["action"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(clone3[0]["errnoRet"], 38);

    std::vector<std::string> caps = default_capabilities();
    caps.push_back("CAP_SYS_ADMIN");
    Json admin = resolve_seccomp_profile(docker_default_seccomp_profile(), caps, kAmd64).value();
    for (const char* allowed : {"mount", "umount2", "setns", "unshare", "clone", "clone3"})
        EXPECT_TRUE(allowed_unconditionally(admin, allowed)) << allowed;
    EXPECT_EQ(rules_for(admin, "clone3").size(), 1u);  // the ENOSYS rule is gone
}

TEST(SeccompProfile, S390PassesCloneFlagsSecond) {
    Json p = resolve_seccomp_profile(docker_default_seccomp_profile(), default_capabilities(),
                                     {"s390x", 6, 1})
                 .value();
    auto clone = rules_for(p, "clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(clone[0]["args"][0]["index"], 1);
    EXPECT_EQ(p["architectures"], Json::parse(R"(["SCMP_ARCH_S390X", "SCMP_ARCH_S390"])"));
}

TEST(SeccompProfile, CapabilityRulesFollowTheCapabilitySet) {
    std::vector<std::string> caps = {"CAP_SYS_PTRACE", "CAP_SYS_MODULE", "CAP_SYS_BOOT"};
    Json p = resolve_seccomp_profile(docker_default_seccomp_profile(), caps, kAmd64).value();
    for (const char* allowed : {"kcmp", "process_vm_readv", "pidfd_getfd", "init_module", "reboot"})
        EXPECT_TRUE(allowed_unconditionally(p, allowed)) << allowed;
    EXPECT_TRUE(rules_for(p, "chroot").empty());  // no CAP_SYS_CHROOT
    // An old kernel gets ptrace only with CAP_SYS_PTRACE.
    Json old = resolve_seccomp_profile(docker_default_seccomp_profile(), default_capabilities(),
                                       {"amd64", 4, 4})
                   .value();
    EXPECT_TRUE(rules_for(old, "ptrace").empty());
}

TEST(SeccompProfile, PersonalityAndSocketArguments) {
    Json p =
        resolve_seccomp_profile(docker_default_seccomp_profile(), default_capabilities(), kAmd64)
            .value();
    std::vector<uint64_t> personas;
    for (const Json& rule : rules_for(p, "personality"))
        personas.push_back(rule["args"][0]["value"]);
    EXPECT_THAT(personas, ::testing::ElementsAre(0u, 8u, 0x20000u, 0x20008u, 0xffffffffu));
    auto socket = rules_for(p, "socket");
    ASSERT_EQ(socket.size(), 1u);
    EXPECT_EQ(socket[0]["args"],
              Json::parse(R"([{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}])"));
}

TEST(SeccompProfile, UserProfileInDockerFormat) {
    Json profile = Json::parse(R"({
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [
        {"name": "chmod", "action": "SCMP_ACT_ERRNO", "comment": "no chmod"},
        {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "includes": {"arches": ["arm64"]}}
      ]})");
    Json p = resolve_seccomp_profile(profile, default_capabilities(), kAmd64).value();
    EXPECT_EQ(p["syscalls"], Json::parse(R"([{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"},
                                              {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}])"));
    EXPECT_TRUE(resolve_seccomp_profile(Json::object(), {}, kAmd64).value().is_null());
    auto both = resolve_seccomp_profile({{"defaultAction", "SCMP_ACT_ALLOW"},
                                         {"architectures", {"SCMP_ARCH_X86_64"}},
                                         {"archMap", {{{"architecture", "SCMP_ARCH_X86_64"}}}}},
                                        {}, kAmd64);
    EXPECT_FALSE(both);
    auto two_names = resolve_seccomp_profile(Json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW",
                        "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO"}]})"),
                                             {}, kAmd64);
    EXPECT_FALSE(two_names);
}

TEST(SeccompProfile, RuntimeCompilesTheDefaultProfileCleanly) {
    for (bool admin : {false, true}) {
        std::vector<std::string> caps = admin ? host_capabilities() : default_capabilities();
        Json profile = default_seccomp_profile(caps).value();
        std::vector<std::string> warnings;
        auto filter = runtime::compile_seccomp(profile, warnings);
        ASSERT_TRUE(filter) << filter.error().message();
        EXPECT_TRUE(warnings.empty()) << ::testing::PrintToString(warnings);
        EXPECT_FALSE(filter->empty());
        // libseccomp takes ~4 ms for this profile on every container start; the fast compiler
        // a small fraction of that.
        EXPECT_EQ(filter->compiler(), runtime::SeccompFilter::Compiler::Fast);
        runtime::SeccompOptions slow;
        slow.force_libseccomp = true;
        auto reference = runtime::compile_seccomp(profile, warnings, slow);
        ASSERT_TRUE(reference) << reference.error().message();
        EXPECT_TRUE(warnings.empty());
    }
}

TEST(SeccompProfile, KeptProfilesAreTheOnesBuiltForTheSameCapabilities) {
    DefaultSeccompProfiles kept;
    std::vector<std::string> caps = default_capabilities();
    Json built = default_seccomp_profile(caps).value();
    EXPECT_EQ(kept.get(caps).value(), built);
    // The same set in another order, with a repeat, is the same profile.
    std::vector<std::string> shuffled(caps.rbegin(), caps.rend());
    shuffled.push_back(caps.front());
    EXPECT_EQ(kept.get(shuffled).value(), built);
    // Another set gets its own: CAP_SYS_ADMIN allows the mount family.
    std::vector<std::string> admin = caps;
    admin.push_back("CAP_SYS_ADMIN");
    Json with_admin = kept.get(admin).value();
    EXPECT_EQ(with_admin, default_seccomp_profile(admin).value());
    EXPECT_NE(with_admin, built);
    EXPECT_EQ(kept.get(caps).value(), built);
}

TEST(DefaultSecurity, CapabilitiesAddDropAllAndPrivileged) {
    EXPECT_EQ(default_capabilities().size(), 14u);
    auto caps =
        container_capabilities({"net_admin", "CAP_SYS_PTRACE"}, {"mknod", "CAP_NET_RAW"}, false)
            .value();
    EXPECT_THAT(caps, ::testing::Contains("CAP_NET_ADMIN"));
    EXPECT_THAT(caps, ::testing::Contains("CAP_SYS_PTRACE"));
    EXPECT_THAT(caps, ::testing::Not(::testing::Contains("CAP_MKNOD")));
    EXPECT_THAT(caps, ::testing::Not(::testing::Contains("CAP_NET_RAW")));
    EXPECT_EQ(caps.size(), 14u);
    EXPECT_THAT(container_capabilities({"chown"}, {"ALL"}, false).value(),
                ::testing::ElementsAre("CAP_CHOWN"));
    auto all = container_capabilities({"ALL"}, {"sys_admin"}, false).value();
    EXPECT_THAT(all, ::testing::Not(::testing::Contains("CAP_SYS_ADMIN")));
    EXPECT_EQ(all.size() + 1, host_capabilities().size());
    EXPECT_EQ(container_capabilities({}, {}, true).value(), host_capabilities());
    EXPECT_THAT(host_capabilities(), ::testing::Contains("CAP_SYS_ADMIN"));  // tests run as root
    auto bad = container_capabilities({"CAP_FLY"}, {}, false);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "invalid CapAdd: unknown capability: \"CAP_FLY\"");
}

TEST(DefaultSecurity, PathsAndDeviceRules) {
    auto masked = default_masked_paths("/nonexistent");
    EXPECT_THAT(masked, ::testing::Contains("/proc/kcore"));
    EXPECT_THAT(masked, ::testing::Contains("/sys/firmware"));
    EXPECT_EQ(masked.size(), 12u);
    EXPECT_THAT(default_readonly_paths(), ::testing::Contains("/proc/sysrq-trigger"));
    Json rules = default_device_rules();
    EXPECT_EQ(rules[0], Json::parse(R"({"allow": false, "access": "rwm"})"));
    EXPECT_EQ(rules.size(), 8u);
}

TEST(DefaultSecurity, DevicesFromPath) {
    auto null = devices_from_path("/dev/null", "/dev/mynull").value();
    ASSERT_EQ(null.size(), 1u);
    EXPECT_EQ(null[0].path, "/dev/mynull");
    EXPECT_EQ(null[0].type, 'c');
    EXPECT_EQ(null[0].major, 1);
    EXPECT_EQ(null[0].minor, 3);
    EXPECT_FALSE(devices_from_path("/dev/does-not-exist", "/dev/x"));
    EXPECT_FALSE(devices_from_path("/etc/hostname", "/dev/x"));
    auto host = host_devices().value();
    EXPECT_TRUE(std::any_of(host.begin(), host.end(),
                            [](const DeviceNode& d) { return d.path == "/dev/null"; }));
    EXPECT_FALSE(std::any_of(host.begin(), host.end(), [](const DeviceNode& d) {
        return d.path.starts_with("/dev/pts/") || d.path == "/dev/console";
    }));
}

}  // namespace
}  // namespace berth::spec
