#include "cli/human.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(Human, DurationsLikeDocker) {
    EXPECT_EQ(human_duration(0), "Less than a second");
    EXPECT_EQ(human_duration(1), "1 second");
    EXPECT_EQ(human_duration(45), "45 seconds");
    EXPECT_EQ(human_duration(90), "About a minute");
    EXPECT_EQ(human_duration(600), "10 minutes");
    EXPECT_EQ(human_duration(3700), "About an hour");
    EXPECT_EQ(human_duration(5 * 3600), "5 hours");
    EXPECT_EQ(human_duration(3 * 86400), "3 days");
    EXPECT_EQ(human_duration(21 * 86400), "3 weeks");
    EXPECT_EQ(human_duration(90 * 86400), "3 months");
    EXPECT_EQ(human_duration(3 * 365 * 86400), "3 years");
    EXPECT_EQ(time_ago(100, 160), "About a minute ago");
    EXPECT_EQ(go_time_utc(1714564800), "2024-05-01 12:00:00 +0000 UTC");
}

}  // namespace
}  // namespace berth::cli
