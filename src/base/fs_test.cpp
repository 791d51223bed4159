#include "base/fs.h"

#include <gtest/gtest.h>

namespace berth {

TEST(CleanPath, CollapsesDotsAndSlashes) {
    EXPECT_EQ(clean_path("/a//b/./c/"), "/a/b/c");
    EXPECT_EQ(clean_path("/../../etc"), "/etc");
    EXPECT_EQ(clean_path("a/../../b"), "../b");
    EXPECT_EQ(clean_path(""), ".");
}

TEST(JoinPath, PutsOneSlashBetween) {
    EXPECT_EQ(join_path("/run/", "/x"), "/run/x");
    EXPECT_EQ(join_path("/run", "x"), "/run/x");
}

}  // namespace berth
