#include "runtime/mount_options.h"

#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sys/mount.h>

#include <string>
#include <vector>

namespace berth::runtime {
namespace {

MountOptions parse(std::vector<std::string> options) {
    return parse_mount_options(options);
}

TEST(ParseMountOptions, NothingGivenIsAllZero) {
    MountOptions o = parse({});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.clear_flags, 0u);
    EXPECT_EQ(o.propagation, 0u);
    EXPECT_EQ(o.recursive_set, 0u);
    EXPECT_EQ(o.recursive_clear, 0u);
    EXPECT_FALSE(o.bind);
    EXPECT_FALSE(o.tmpcopyup);
    EXPECT_EQ(o.data, "");
}

TEST(ParseMountOptions, EachFlagOptionSetsItsFlag) {
    struct Case {
        const char* option;
        unsigned long flag;
    };
    for (auto [option, flag] : {
             Case{"ro", MS_RDONLY},
             Case{"nosuid", MS_NOSUID},
             Case{"nodev", MS_NODEV},
             Case{"noexec", MS_NOEXEC},
             Case{"sync", MS_SYNCHRONOUS},
             Case{"dirsync", MS_DIRSYNC},
             Case{"remount", MS_REMOUNT},
             Case{"mand", MS_MANDLOCK},
             Case{"noatime", MS_NOATIME},
             Case{"nodiratime", MS_NODIRATIME},
             Case{"relatime", MS_RELATIME},
             Case{"strictatime", MS_STRICTATIME},
             Case{"lazytime", MS_LAZYTIME},
             Case{"iversion", MS_I_VERSION},
             Case{"silent", MS_SILENT},
         }) {
        SCOPED_TRACE(option);
        MountOptions o = parse({option});
        EXPECT_EQ(o.flags, flag);
        EXPECT_EQ(o.clear_flags, 0u);
        EXPECT_EQ(o.data, "") << "a known option must not reach the filesystem";
    }
}

TEST(ParseMountOptions, EachClearingOptionRecordsTheFlagItClears) {
    struct Case {
        const char* option;
        unsigned long flag;
    };
    for (auto [option, flag] : {
             Case{"rw", MS_RDONLY},
             Case{"suid", MS_NOSUID},
             Case{"dev", MS_NODEV},
             Case{"exec", MS_NOEXEC},
             Case{"async", MS_SYNCHRONOUS},
             Case{"nomand", MS_MANDLOCK},
             Case{"atime", MS_NOATIME},
             Case{"diratime", MS_NODIRATIME},
             Case{"norelatime", MS_RELATIME},
             Case{"nostrictatime", MS_STRICTATIME},
             Case{"nolazytime", MS_LAZYTIME},
             Case{"noiversion", MS_I_VERSION},
             Case{"loud", MS_SILENT},
         }) {
        SCOPED_TRACE(option);
        MountOptions o = parse({option});
        EXPECT_EQ(o.flags, 0u);
        EXPECT_EQ(o.clear_flags, flag);
        EXPECT_EQ(o.data, "");
    }
}

TEST(ParseMountOptions, FlagsAccumulate) {
    MountOptions o = parse({"nosuid", "nodev", "noexec", "relatime", "ro"});
    EXPECT_EQ(o.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME | MS_RDONLY);
    EXPECT_EQ(o.clear_flags, 0u);
}

TEST(ParseMountOptions, DefaultsChangesNothing) {
    MountOptions o = parse({"defaults"});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.clear_flags, 0u);
    EXPECT_EQ(o.data, "");
    EXPECT_EQ(parse({"nosuid", "defaults"}).flags, static_cast<unsigned long>(MS_NOSUID));
}

TEST(ParseMountOptions, LaterRwClearsEarlierRo) {
    MountOptions o = parse({"ro", "nosuid", "rw"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID));
    EXPECT_EQ(o.clear_flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(ParseMountOptions, LaterRoOverridesEarlierRw) {
    MountOptions o = parse({"rw", "ro"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(o.clear_flags, 0u) << "ro takes back the clear that rw recorded";
}

TEST(ParseMountOptions, LaterSuidClearsEarlierNosuid) {
    MountOptions o = parse({"nosuid", "nodev", "suid", "dev"});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.clear_flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV));
}

TEST(ParseMountOptions, BindIsNotRecursive) {
    MountOptions o = parse({"bind"});
    EXPECT_TRUE(o.bind);
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
    EXPECT_EQ(o.flags & MS_REC, 0u);
    EXPECT_EQ(o.data, "");
}

TEST(ParseMountOptions, RbindIsRecursive) {
    MountOptions o = parse({"rbind"});
    EXPECT_TRUE(o.bind);
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_EQ(o.data, "");
}

TEST(ParseMountOptions, ReadOnlyBind) {
    MountOptions o = parse({"rbind", "ro", "nosuid"});
    EXPECT_TRUE(o.bind);
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID));
    EXPECT_EQ(o.propagation, 0u);
}

TEST(ParseMountOptions, PropagationNamesGoToPropagationNotFlags) {
    struct Case {
        const char* option;
        unsigned long propagation;
    };
    for (auto [option, propagation] : {
             Case{"private", MS_PRIVATE},
             Case{"rprivate", MS_PRIVATE | MS_REC},
             Case{"shared", MS_SHARED},
             Case{"rshared", MS_SHARED | MS_REC},
             Case{"slave", MS_SLAVE},
             Case{"rslave", MS_SLAVE | MS_REC},
             Case{"unbindable", MS_UNBINDABLE},
             Case{"runbindable", MS_UNBINDABLE | MS_REC},
         }) {
        SCOPED_TRACE(option);
        MountOptions o = parse({option});
        EXPECT_EQ(o.propagation, propagation);
        EXPECT_EQ(o.flags, 0u) << "propagation must not be mixed into the mount's own flags";
        EXPECT_EQ(o.data, "");
    }
}

TEST(ParseMountOptions, PropagationWithBindKeepsBoth) {
    MountOptions o = parse({"rbind", "rslave"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(ParseMountOptions, LastPropagationWins) {
    EXPECT_EQ(parse({"shared", "rprivate"}).propagation,
              static_cast<unsigned long>(MS_PRIVATE | MS_REC));
}

TEST(ParseMountOptions, RecursiveOptionsSetAttributes) {
    struct Case {
        const char* option;
        uint64_t attr;
    };
    for (auto [option, attr] : {
             Case{"rro", MOUNT_ATTR_RDONLY},
             Case{"rnosuid", MOUNT_ATTR_NOSUID},
             Case{"rnodev", MOUNT_ATTR_NODEV},
             Case{"rnoexec", MOUNT_ATTR_NOEXEC},
             Case{"rnodiratime", MOUNT_ATTR_NODIRATIME},
         }) {
        SCOPED_TRACE(option);
        MountOptions o = parse({option});
        EXPECT_EQ(o.recursive_set, attr);
        EXPECT_EQ(o.recursive_clear, 0u);
        EXPECT_EQ(o.flags, 0u) << "recursive options are not mount(2) flags";
        EXPECT_EQ(o.data, "");
    }
}

TEST(ParseMountOptions, RecursiveClearingOptions) {
    struct Case {
        const char* option;
        uint64_t attr;
    };
    for (auto [option, attr] : {
             Case{"rrw", MOUNT_ATTR_RDONLY},
             Case{"rsuid", MOUNT_ATTR_NOSUID},
             Case{"rdev", MOUNT_ATTR_NODEV},
             Case{"rexec", MOUNT_ATTR_NOEXEC},
             Case{"rdiratime", MOUNT_ATTR_NODIRATIME},
         }) {
        SCOPED_TRACE(option);
        MountOptions o = parse({option});
        EXPECT_EQ(o.recursive_set, 0u);
        EXPECT_EQ(o.recursive_clear, attr);
        EXPECT_EQ(o.data, "");
    }
}

TEST(ParseMountOptions, RecursiveOptionsAccumulate) {
    MountOptions o = parse({"rbind", "rro", "rnosuid", "rnodev"});
    EXPECT_EQ(o.recursive_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
    EXPECT_EQ(o.recursive_clear, 0u);
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
}

// mount_setattr(2): an atime setting in attr_set only takes effect with MOUNT_ATTR__ATIME in
// attr_clr, which also drops whichever atime mode the mounts had before.
TEST(ParseMountOptions, RnoatimeClearsTheOtherAtimeBits) {
    MountOptions o = parse({"rnoatime"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_NOATIME));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(ParseMountOptions, RstrictatimeClearsTheOtherAtimeBits) {
    MountOptions o = parse({"rstrictatime"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

// MOUNT_ATTR_RELATIME is 0: "rrelatime" is expressed by clearing MOUNT_ATTR__ATIME alone. Without
// that, the option would do nothing at all (and features advertises it).
TEST(ParseMountOptions, RrelatimeClearsTheAtimeField) {
    MountOptions o = parse({"rrelatime"});
    EXPECT_EQ(o.recursive_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
    EXPECT_EQ(o.data, "");
}

// The atime field holds one mode: a later atime option replaces an earlier one (the kernel
// rejects attr_set with two atime modes).
TEST(ParseMountOptions, LaterRecursiveAtimeReplacesEarlier) {
    MountOptions o = parse({"rnoatime", "rstrictatime"});
    EXPECT_EQ(o.recursive_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_STRICTATIME));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));

    o = parse({"rnoatime", "rrelatime"});
    EXPECT_EQ(o.recursive_set & MOUNT_ATTR__ATIME, static_cast<uint64_t>(MOUNT_ATTR_RELATIME));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

TEST(ParseMountOptions, AtimeBitsLeaveOtherRecursiveAttributesAlone) {
    MountOptions o = parse({"rro", "rnoatime", "rnosuid"});
    EXPECT_EQ(o.recursive_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME | MOUNT_ATTR_NOSUID);
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR__ATIME));
}

// Like the plain flags (and runc): the later of "rro" and "rrw" wins. The kernel applies attr_clr
// before attr_set, so a bit left in both would keep the mounts read-only despite a later "rrw".
TEST(ParseMountOptions, LaterRecursiveOptionWins) {
    MountOptions o = parse({"rro", "rrw"});
    EXPECT_EQ(o.recursive_set, 0u);
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));

    o = parse({"rrw", "rro"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
    EXPECT_EQ(o.recursive_clear, 0u);

    o = parse({"rnosuid", "rnodev", "rsuid"});
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_NODEV));
    EXPECT_EQ(o.recursive_clear, static_cast<uint64_t>(MOUNT_ATTR_NOSUID));
}

TEST(ParseMountOptions, RecursiveAndPlainReadOnlyAreSeparate) {
    MountOptions o = parse({"ro", "rro"});
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(o.recursive_set, static_cast<uint64_t>(MOUNT_ATTR_RDONLY));
}

TEST(ParseMountOptions, Tmpcopyup) {
    MountOptions o = parse({"tmpcopyup", "size=64m"});
    EXPECT_TRUE(o.tmpcopyup);
    EXPECT_EQ(o.flags, 0u);
    EXPECT_EQ(o.data, "size=64m") << "tmpcopyup is ours, not tmpfs's";
    EXPECT_FALSE(parse({"size=64m"}).tmpcopyup);
}

TEST(ParseMountOptions, UnknownOptionsAreCommaJoinedDataInOrder) {
    MountOptions o = parse({"nosuid", "size=64m", "strictatime", "mode=755", "nodev"});
    EXPECT_EQ(o.data, "size=64m,mode=755");
    EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME | MS_NODEV));
}

TEST(ParseMountOptions, TypicalDockerTmpfsAndDevptsOptions) {
    MountOptions tmpfs = parse({"nosuid", "strictatime", "mode=755", "size=65536k"});
    EXPECT_EQ(tmpfs.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
    EXPECT_EQ(tmpfs.data, "mode=755,size=65536k");

    MountOptions devpts =
        parse({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
    EXPECT_EQ(devpts.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
    EXPECT_EQ(devpts.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST(ParseMountOptions, SingleUnknownOptionHasNoComma) {
    EXPECT_EQ(parse({"size=64m"}).data, "size=64m");
    EXPECT_EQ(parse({"lowerdir=/a:/b", "upperdir=/c", "workdir=/d"}).data,
              "lowerdir=/a:/b,upperdir=/c,workdir=/d");
}

TEST(ParseMountOptions, OptionNamesAreCaseSensitive) {
    MountOptions o = parse({"RO", "Bind"});
    EXPECT_EQ(o.flags, 0u);
    EXPECT_FALSE(o.bind);
    EXPECT_EQ(o.data, "RO,Bind");
}

TEST(PropagationFlags, EveryName) {
    EXPECT_EQ(propagation_flags("private"), static_cast<unsigned long>(MS_PRIVATE));
    EXPECT_EQ(propagation_flags("rprivate"), static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_EQ(propagation_flags("shared"), static_cast<unsigned long>(MS_SHARED));
    EXPECT_EQ(propagation_flags("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
    EXPECT_EQ(propagation_flags("slave"), static_cast<unsigned long>(MS_SLAVE));
    EXPECT_EQ(propagation_flags("rslave"), static_cast<unsigned long>(MS_SLAVE | MS_REC));
    EXPECT_EQ(propagation_flags("unbindable"), static_cast<unsigned long>(MS_UNBINDABLE));
    EXPECT_EQ(propagation_flags("runbindable"), static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
}

TEST(PropagationFlags, EmptyOrUnknownIsZero) {
    EXPECT_EQ(propagation_flags(""), 0u);
    EXPECT_EQ(propagation_flags("rbind"), 0u);
    EXPECT_EQ(propagation_flags("ro"), 0u);
    EXPECT_EQ(propagation_flags("Private"), 0u);
    EXPECT_EQ(propagation_flags("rprivate "), 0u);
    EXPECT_EQ(propagation_flags("master"), 0u);
}

}  // namespace
}  // namespace berth::runtime
