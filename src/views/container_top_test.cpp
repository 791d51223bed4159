#include "views/container_top.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace berth::views {
namespace {

constexpr const char* kPsEf =
    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    "root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n"
    "root         100       1  0 10:01 ?        00:00:00 sleep 1000 --with  spaces\n"
    "daemon       200       1  0 10:02 ?        00:00:00 other\n";

TEST(ContainerTop, KeepsContainerPidsAndFoldsTheCommand) {
    auto top = parse_ps_output(kPsEf, {100, 300});
    ASSERT_TRUE(top) << top.error().message();
    EXPECT_EQ((*top)["Titles"], Json({"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}));
    ASSERT_EQ((*top)["Processes"].size(), 1u);
    EXPECT_EQ((*top)["Processes"][0], Json({"root", "100", "1", "0", "10:01", "?", "00:00:00",
                                            "sleep 1000 --with spaces"}));
}

TEST(ContainerTop, ThreadLinesFollowTheirProcess) {
    std::string out =
        "PID TID CMD\n"
        "100 - sleep\n"
        "- 100 -\n"
        "- 101 -\n"
        "200 - other\n"
        "- 200 -\n";
    auto top = parse_ps_output(out, {100});
    ASSERT_TRUE(top) << top.error().message();
    EXPECT_EQ((*top)["Processes"].size(), 3u);
}

TEST(ContainerTop, NoPidColumnIsAnError) {
    auto top = parse_ps_output("USER COMMAND\nroot x\n", {1});
    ASSERT_FALSE(top);
    EXPECT_EQ(top.error().message(), "Couldn't find PID field in ps output");
}

TEST(ContainerTop, RenamedPidColumnIsRefused) {
    auto bad = validate_ps_args("-o pid,comm=PID");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "specifying \"pid,comm=PID\" is not allowed");
    EXPECT_FALSE(validate_ps_args("-o comm= PID"));
    EXPECT_TRUE(validate_ps_args("-o pid=PID,comm"));
    EXPECT_TRUE(validate_ps_args("-ef"));
    EXPECT_TRUE(validate_ps_args("aux"));
}

TEST(ContainerTop, RunsPsWithPidsThenWithoutWhenRefused) {
    std::vector<std::vector<std::string>> calls;
    PsRunner fake = [&](const std::vector<std::string>& argv) -> Result<std::string> {
        calls.push_back(argv);
        if (argv.back().starts_with("-q")) return fail(ErrorKind::Internal, "ps: bad option");
        return std::string(kPsEf);
    };
    auto top = container_top({1, 200}, "", fake);
    ASSERT_TRUE(top) << top.error().message();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[0], (std::vector<std::string>{"ps", "-ef", "-q1,200"}));
    EXPECT_EQ(calls[1], (std::vector<std::string>{"ps", "-ef"}));
    EXPECT_EQ((*top)["Processes"].size(), 2u);
}

TEST(ContainerTop, PsFailureIsReported) {
    PsRunner fake = [](const std::vector<std::string>&) -> Result<std::string> {
        return fail(ErrorKind::Internal, "ps failed: error: unknown gnu long option");
    };
    auto top = container_top({1}, "--bogus", fake);
    ASSERT_FALSE(top);
    EXPECT_NE(top.error().message().find("unknown gnu long option"), std::string::npos);
}

TEST(ContainerTop, RealPsFindsThisProcess) {
    pid_t self = ::getpid();
    auto top = container_top({self}, "-ef");
    ASSERT_TRUE(top) << top.error().message();
    ASSERT_EQ((*top)["Processes"].size(), 1u);
    EXPECT_EQ((*top)["Processes"][0][1], std::to_string(self));
    EXPECT_EQ((*top)["Titles"].back(), "CMD");
}

}  // namespace
}  // namespace berth::views
