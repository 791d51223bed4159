#include "base/parse_int.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace berth {
namespace {

TEST(ParseInt, TakesTheWholeTextAsOneNumber) {
    EXPECT_EQ(parse_int<int>("42"), 42);
    EXPECT_EQ(parse_int<int>("-1"), -1);
    EXPECT_EQ(parse_int<int64_t>("9223372036854775807"), INT64_MAX);
    EXPECT_EQ(parse_int<unsigned>("0"), 0u);
    EXPECT_EQ(parse_int<unsigned>("755", 8), 0755u);
    EXPECT_EQ(parse_int<uint32_t>("ff", 16), 255u);
}

TEST(ParseInt, RejectsAnythingElse) {
    EXPECT_EQ(parse_int<int>(""), std::nullopt);
    EXPECT_EQ(parse_int<int>("+1"), std::nullopt);
    EXPECT_EQ(parse_int<int>(" 1"), std::nullopt);
    EXPECT_EQ(parse_int<int>("1 "), std::nullopt);
    EXPECT_EQ(parse_int<int>("12x"), std::nullopt);
    EXPECT_EQ(parse_int<int>("1.5"), std::nullopt);
    EXPECT_EQ(parse_int<unsigned>("-1"), std::nullopt);
    EXPECT_EQ(parse_int<int8_t>("128"), std::nullopt);
    EXPECT_EQ(parse_int<int64_t>("9223372036854775808"), std::nullopt);
    EXPECT_EQ(parse_int<unsigned>("8", 8), std::nullopt);
}

TEST(ParseInt, TellsOutOfRangeFromNotANumber) {
    EXPECT_EQ(parse_int_or_errc<int>("12").value_or(0), 12);
    EXPECT_EQ(parse_int_or_errc<int>("99999999999").error(), std::errc::result_out_of_range);
    EXPECT_EQ(parse_int_or_errc<unsigned>("-1").error(), std::errc::invalid_argument);
    EXPECT_EQ(parse_int_or_errc<int>("").error(), std::errc::invalid_argument);
    EXPECT_EQ(parse_int_or_errc<int>("12x").error(), std::errc::invalid_argument);
    EXPECT_EQ(parse_int_or_errc<int>("99999999999x").error(), std::errc::invalid_argument);
}

TEST(ParseInt, NamesTheFieldInItsError) {
    EXPECT_EQ(parse_int<int64_t>("7", "--cpu-quota").value_or(0), 7);
    auto bad = parse_int<int64_t>("7s", "--cpu-quota");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message(), "--cpu-quota: \"7s\" is not a number");
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
}

TEST(ParseIntPrefix, ReturnsTheNumberAndTheRest) {
    auto major = parse_int_prefix<int>("5.10.0-rc1");
    ASSERT_TRUE(major);
    EXPECT_EQ(major->first, 5);
    EXPECT_EQ(major->second, ".10.0-rc1");
    auto whole = parse_int_prefix<int>("12");
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->second, "");
    EXPECT_EQ(parse_int_prefix<int>("v5"), std::nullopt);
    EXPECT_EQ(parse_int_prefix<int>(""), std::nullopt);
}

}  // namespace
}  // namespace berth
