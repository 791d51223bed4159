#include "cli/units.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(GoDuration, ParsesGoSyntax) {
    EXPECT_EQ(*parse_go_duration("5s"), 5'000'000'000);
    EXPECT_EQ(*parse_go_duration("1m30s"), 90'000'000'000);
    EXPECT_EQ(*parse_go_duration("1.5h"), 5'400'000'000'000);
    EXPECT_EQ(*parse_go_duration("300ms"), 300'000'000);
    EXPECT_EQ(*parse_go_duration("2us"), 2'000);
    EXPECT_EQ(*parse_go_duration("-1s"), -1'000'000'000);
    EXPECT_EQ(*parse_go_duration("0"), 0);
}

TEST(GoDuration, RejectsWhatGoRejects) {
    EXPECT_EQ(parse_go_duration("5").error().message(), "time: missing unit in duration \"5\"");
    EXPECT_EQ(parse_go_duration("5x").error().message(),
              "time: unknown unit \"x\" in duration \"5x\"");
    EXPECT_FALSE(parse_go_duration(""));
    EXPECT_FALSE(parse_go_duration("s"));
}

TEST(ApiTimestamp, DurationsRfc3339AndUnixSeconds) {
    int64_t now = 1'700'000'000'000'000'000;
    EXPECT_EQ(*api_timestamp("10m", now), "1699999400.000000000");
    EXPECT_EQ(*api_timestamp("2023-11-14T22:13:20Z", now), "1700000000.000000000");
    EXPECT_EQ(*api_timestamp("2023-11-14", now), "1699920000.000000000");
    EXPECT_EQ(*api_timestamp("1700000000", now), "1700000000");
    EXPECT_EQ(*api_timestamp("1700000000.5", now), "1700000000.5");
    EXPECT_FALSE(api_timestamp("yesterday", now));
}

}  // namespace
}  // namespace berth::cli
