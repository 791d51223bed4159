#include "runtime/signals.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>

namespace berth::runtime {
namespace {

int signal_of(std::string_view text) {
    auto r = parse_signal(text);
    EXPECT_TRUE(r.has_value()) << text << ": " << r.error().message();
    return r.value_or(-1);
}

TEST(ParseSignal, ShortName) {
    EXPECT_EQ(signal_of("TERM"), SIGTERM);
    EXPECT_EQ(signal_of("KILL"), SIGKILL);
    EXPECT_EQ(signal_of("HUP"), SIGHUP);
    EXPECT_EQ(signal_of("USR1"), SIGUSR1);
    EXPECT_EQ(signal_of("WINCH"), SIGWINCH);
    EXPECT_EQ(signal_of("CHLD"), SIGCHLD);
    EXPECT_EQ(signal_of("CLD"), SIGCHLD);
    EXPECT_EQ(signal_of("IOT"), SIGABRT);
}

TEST(ParseSignal, SigPrefix) {
    EXPECT_EQ(signal_of("SIGTERM"), SIGTERM);
    EXPECT_EQ(signal_of("SIGKILL"), SIGKILL);
    EXPECT_EQ(signal_of("SIGSTOP"), SIGSTOP);
}

TEST(ParseSignal, AnyCase) {
    EXPECT_EQ(signal_of("term"), SIGTERM);
    EXPECT_EQ(signal_of("sigterm"), SIGTERM);
    EXPECT_EQ(signal_of("SigInt"), SIGINT);
}

TEST(ParseSignal, Numbers) {
    EXPECT_EQ(signal_of("15"), SIGTERM);
    EXPECT_EQ(signal_of("9"), SIGKILL);
    EXPECT_EQ(signal_of("1"), 1);
    EXPECT_EQ(signal_of(std::to_string(SIGRTMAX)), SIGRTMAX);
}

TEST(ParseSignal, RealTime) {
    EXPECT_EQ(signal_of("RTMIN"), SIGRTMIN);
    EXPECT_EQ(signal_of("RTMIN+3"), SIGRTMIN + 3);
    EXPECT_EQ(signal_of("SIGRTMIN+3"), SIGRTMIN + 3);
    EXPECT_EQ(signal_of("RTMAX"), SIGRTMAX);
    EXPECT_EQ(signal_of("SIGRTMAX-1"), SIGRTMAX - 1);
    EXPECT_EQ(signal_of("rtmin+1"), SIGRTMIN + 1);
    EXPECT_EQ(signal_of("RTMIN+0"), SIGRTMIN);
    EXPECT_EQ(signal_of("RTMIN+" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMAX);
    EXPECT_EQ(signal_of("RTMAX-" + std::to_string(SIGRTMAX - SIGRTMIN)), SIGRTMIN);
}

TEST(ParseSignal, Errors) {
    for (std::string text :
         {"",         "0",        "-1",      "99",      "FOO",      "SIG",     "SIGFOO",
          "RTMIN+99", "RTMAX-99", "RTMIN-1", "RTMAX+1", "RTMIN+",   "RTMIN+x", "RTMIN3",
          "TERM ",    " 15",      "15x",     "+15",     "RTMIN+-1", "RTMAX--1"}) {
        SCOPED_TRACE(text);
        auto r = parse_signal(text);
        ASSERT_FALSE(r.has_value()) << "got " << *r;
        EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_EQ(r.error().message(), "unknown signal \"" + text + "\"");
    }
    EXPECT_FALSE(parse_signal(std::to_string(SIGRTMAX + 1)).has_value());
}

// Offsets big enough to overflow int must be rejected, not wrapped around.
TEST(ParseSignal, HugeRealTimeOffsets) {
    for (const char* text : {"RTMIN+2147483647", "RTMAX-2147483647", "RTMAX--2147483648",
                             "RTMIN+99999999999", "99999999999"}) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(parse_signal(text).has_value());
    }
}

}  // namespace
}  // namespace berth::runtime
