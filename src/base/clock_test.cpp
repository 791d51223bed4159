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

}  // namespace
}  // namespace berth
