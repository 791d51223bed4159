#include "base/kernel_version.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(KernelVersion, ReadsTheLeadingMajorAndMinor) {
    EXPECT_EQ(kernel_version_of("6.1.0-18-amd64"), (KernelVersion{6, 1}));
    EXPECT_EQ(kernel_version_of("5.12"), (KernelVersion{5, 12}));
    EXPECT_EQ(kernel_version_of("6"), (KernelVersion{6, 0}));
    EXPECT_EQ(kernel_version_of("6.x"), (KernelVersion{6, 0}));
    EXPECT_EQ(kernel_version_of("unknown"), (KernelVersion{0, 0}));
}

TEST(KernelVersion, OrdersByMajorThenMinor) {
    EXPECT_LT((KernelVersion{5, 11}), (KernelVersion{5, 12}));
    EXPECT_LT((KernelVersion{4, 20}), (KernelVersion{5, 0}));
    EXPECT_GE(running_kernel_version(), (KernelVersion{3, 0}));  // any kernel berth runs on
}

}  // namespace
}  // namespace berth
