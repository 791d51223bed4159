#include "cli/attach_session.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(DetachKeys, ParsesDockersSyntax) {
    EXPECT_EQ(*parse_detach_keys(""), "\x10\x11");
    EXPECT_EQ(*parse_detach_keys("ctrl-a,x"), "\x01x");
    EXPECT_EQ(*parse_detach_keys("ctrl-@,ctrl-_"), std::string("\x00\x1f", 2));
    EXPECT_FALSE(parse_detach_keys("ctrl-1"));
    EXPECT_FALSE(parse_detach_keys("alt-x"));
}

TEST(DetachScanner, PassesInputAndStopsAtTheSequence) {
    DetachScanner scanner("\x10\x11");
    bool detached = false;
    EXPECT_EQ(scanner.feed("ls\r", detached), "ls\r");
    EXPECT_FALSE(detached);
    // A held-back ctrl-p that is not followed by ctrl-q is typed input after all.
    EXPECT_EQ(scanner.feed("a\x10", detached), "a");
    EXPECT_EQ(scanner.feed("b", detached),
              "\x10"
              "b");
    EXPECT_EQ(scanner.feed("\x10\x10", detached), "\x10");
    EXPECT_EQ(scanner.feed("\x11rest", detached), "");
    EXPECT_TRUE(detached);
}

TEST(DetachScanner, EmptySequenceNeverDetaches) {
    DetachScanner scanner("");
    bool detached = false;
    EXPECT_EQ(scanner.feed("\x10\x11", detached), "\x10\x11");
    EXPECT_FALSE(detached);
}

}  // namespace
}  // namespace berth::cli
