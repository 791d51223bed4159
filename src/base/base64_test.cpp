#include "base/base64.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, RoundTripsEveryByte) {
    std::string all;
    for (int i = 0; i < 256; ++i)
        all += static_cast<char>(i);
    for (size_t size : {0, 1, 2, 3, 4, 255, 256}) {
        std::string data = all.substr(0, size);
        auto back = base64_decode(base64_encode(data));
        ASSERT_TRUE(back) << back.error().message();
        EXPECT_EQ(*back, data);
    }
}

TEST(Base64, RejectsMalformedText) {
    for (const char* bad : {"Zg=", "Zg", "Z===", "=Zg=", "Zg==Zg==", "Zm9v!", "Zm 9", "Zg=a"})
        EXPECT_FALSE(base64_decode(bad)) << bad;
}

}  // namespace
}  // namespace berth
