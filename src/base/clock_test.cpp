#include "base/clock.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Clock, ParsesRfc3339) {
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339("2024-05-01T12:00:00.123456789Z"), 1714564800);
    EXPECT_EQ(parse_rfc3339("2024-05-01T14:00:00+02:00"), 1714564800);
    EXPECT_FALSE(parse_rfc3339("2024-05-01"));
    EXPECT_FALSE(parse_rfc3339("2024-05-01T12:00:00"));
    EXPECT_FALSE(parse_rfc3339("2024-05-01T12:00:00Zjunk"));
    auto now = parse_rfc3339(rfc3339_now());
    ASSERT_TRUE(now);
    EXPECT_NEAR(static_cast<double>(*now), static_cast<double>(::time(nullptr)), 2.0);
}

TEST(Clock, ParsesUnixSecondsWithAFraction) {
    auto nanos = [](std::string_view text) -> std::optional<int64_t> {
        auto t = parse_unix_time(text);
        if (!t) return std::nullopt;
        return int64_t{t->tv_sec} * 1'000'000'000 + t->tv_nsec;
    };
    EXPECT_EQ(nanos("1714564800"), 1'714'564'800'000'000'000);
    EXPECT_EQ(nanos("1714564800.5"), 1'714'564'800'500'000'000);
    EXPECT_EQ(nanos("1714564800.000000001"), 1'714'564'800'000'000'001);
    EXPECT_EQ(nanos("1.1234567891"), 1'123'456'789);  // cut at nanoseconds
    EXPECT_EQ(nanos("7."), 7'000'000'000);
    EXPECT_EQ(nanos(""), std::nullopt);
    EXPECT_EQ(nanos("1.5x"), std::nullopt);
    EXPECT_EQ(nanos("2024-05-01T12:00:00Z"), std::nullopt);
    EXPECT_EQ(nanos("10m"), std::nullopt);
}

}  // namespace
}  // namespace berth
