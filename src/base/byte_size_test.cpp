#include "base/byte_size.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

std::string error_of(const Result<int64_t>& result) {
    return result ? "no error" : result.error().message();
}

TEST(ParseRamInBytes, TakesBinaryMultiplesInEverySpelling) {
    EXPECT_EQ(parse_ram_in_bytes("100").value_or(0), 100);
    EXPECT_EQ(parse_ram_in_bytes("100b").value_or(0), 100);
    EXPECT_EQ(parse_ram_in_bytes("64k").value_or(0), 64LL << 10);
    EXPECT_EQ(parse_ram_in_bytes("512m").value_or(0), 512LL << 20);
    EXPECT_EQ(parse_ram_in_bytes("1g").value_or(0), 1LL << 30);
    EXPECT_EQ(parse_ram_in_bytes("1GB").value_or(0), 1LL << 30);
    EXPECT_EQ(parse_ram_in_bytes("2MiB").value_or(0), 2LL << 20);
    EXPECT_EQ(parse_ram_in_bytes("2mIb").value_or(0), 2LL << 20);
    EXPECT_EQ(parse_ram_in_bytes("3t").value_or(0), 3LL << 40);
    EXPECT_EQ(parse_ram_in_bytes("1p").value_or(0), 1LL << 50);
    EXPECT_EQ(parse_ram_in_bytes("1.5m").value_or(0), 1572864);
    EXPECT_EQ(parse_ram_in_bytes("1.5g").value_or(0), 3LL << 29);
}

TEST(ParseRamInBytes, TakesGoFloatsAndOneSpaceBeforeTheSuffix) {
    EXPECT_EQ(parse_ram_in_bytes("32 MB").value_or(0), 32LL << 20);
    EXPECT_EQ(parse_ram_in_bytes("10 ").value_or(0), 10);
    EXPECT_EQ(parse_ram_in_bytes("+4k").value_or(0), 4096);
    EXPECT_EQ(parse_ram_in_bytes("1e3").value_or(0), 1000);
    EXPECT_EQ(parse_ram_in_bytes(".5k").value_or(0), 512);
    EXPECT_EQ(parse_ram_in_bytes("7.").value_or(0), 7);
    EXPECT_EQ(parse_ram_in_bytes("0").value_or(-1), 0);
}

TEST(ParseRamInBytes, NamesWhatIsWrongAsGoUnitsDoes) {
    EXPECT_EQ(error_of(parse_ram_in_bytes("")), "invalid size: ''");
    EXPECT_EQ(error_of(parse_ram_in_bytes("m")), "invalid size: 'm'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("-5")), "invalid size: '-5'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("-1m")), "invalid size: '-1m'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1.2.3m")), "invalid size: '1.2.3m'");
    EXPECT_EQ(error_of(parse_ram_in_bytes(" 5")), "invalid size: ' 5'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1  m")), "invalid size: '1  m'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("12x")), "invalid suffix: 'x'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("10MM")), "invalid suffix: 'mm'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1bb")), "invalid suffix: 'bb'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1kbb")), "invalid suffix: 'kbb'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1KiBs")), "invalid suffix: 'KiBs'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1ki")), "invalid suffix: 'ki'");
}

TEST(ParseRamInBytes, RejectsWhatDoesNotFitInt64) {
    EXPECT_EQ(parse_ram_in_bytes("8191p").value_or(0), 8191LL << 50);
    EXPECT_EQ(error_of(parse_ram_in_bytes("8192p")), "invalid size: '8192p'");
    EXPECT_EQ(error_of(parse_ram_in_bytes("1e400")), "invalid size: '1e400'");
}

TEST(ParseHumanSize, TakesDecimalMultiplesEvenWithIb) {
    EXPECT_EQ(parse_human_size("100").value_or(0), 100);
    EXPECT_EQ(parse_human_size("1k").value_or(0), 1000);
    EXPECT_EQ(parse_human_size("1KiB").value_or(0), 1000);
    EXPECT_EQ(parse_human_size("10m").value_or(0), 10'000'000);
    EXPECT_EQ(parse_human_size("2.5 GB").value_or(0), 2'500'000'000);
    EXPECT_EQ(parse_human_size("1p").value_or(0), 1'000'000'000'000'000);
    EXPECT_EQ(error_of(parse_human_size("abc")), "invalid size: 'abc'");
    EXPECT_EQ(error_of(parse_human_size("10x")), "invalid suffix: 'x'");
}

TEST(HumanSize, PrintsDecimalUnitsWithThreeDigits) {
    EXPECT_EQ(human_size(0), "0B");
    EXPECT_EQ(human_size(999), "999B");
    EXPECT_EQ(human_size(1000), "1kB");
    EXPECT_EQ(human_size(123456), "123kB");
    EXPECT_EQ(human_size(4261234), "4.26MB");
    EXPECT_EQ(human_size(1.5e9), "1.5GB");
}

TEST(BinarySize, PrintsBinaryUnitsWithFourDigits) {
    EXPECT_EQ(binary_size(0), "0B");
    EXPECT_EQ(binary_size(1023), "1023B");
    EXPECT_EQ(binary_size(1024), "1KiB");
    EXPECT_EQ(binary_size(1572864), "1.5MiB");
    EXPECT_EQ(binary_size(8189321216.0), "7.627GiB");
}

}  // namespace
}  // namespace berth
