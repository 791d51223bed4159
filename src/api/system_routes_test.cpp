#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "api/routes.h"
#include "base/fs.h"

namespace berth::api {
namespace {

class EngineId : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-engine-id-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
    }
    void TearDown() override { (void)remove_all(root_); }
    std::string root_;
    std::vector<std::string> warnings_;
    std::function<void(std::string_view)> warn_ = [this](std::string_view message) {
        warnings_.emplace_back(message);
    };
};

TEST_F(EngineId, MadeOnceThenKept) {
    auto first = load_engine_id(root_, warn_);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(first->size(), 36u);
    EXPECT_EQ(*load_engine_id(root_, warn_), *first);
    // An older dockerd's key ID is an ID too.
    ASSERT_TRUE(write_file(root_ + "/engine-id", "ABCD:EFGH:IJKL\n"));
    EXPECT_EQ(*load_engine_id(root_, warn_), "ABCD:EFGH:IJKL");
    EXPECT_TRUE(warnings_.empty());
}

TEST_F(EngineId, GarbageIsReplacedWithAWarning) {
    ASSERT_TRUE(write_file(root_ + "/engine-id", std::string("\x01\xff\0garbage\n", 11)));
    auto id = load_engine_id(root_, warn_);
    ASSERT_TRUE(id) << id.error().message();
    EXPECT_EQ(id->size(), 36u);
    EXPECT_EQ(*read_file(root_ + "/engine-id"), *id + "\n");
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_EQ(warnings_[0], "damaged " + root_ + "/engine-id (not an ID): a new engine ID is made");
}

}  // namespace
}  // namespace berth::api
