#include "engine/container_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "store/database.h"

namespace berth::engine {
namespace {

class ContainerStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/container-store-XXXXXX";
        dir_ = ::mkdtemp(pattern);
    }
    void TearDown() override { (void)remove_all(dir_); }
    Container make(std::string id, std::string name) {
        Container c;
        c.id = std::move(id);
        c.name = std::move(name);
        c.created = "2026-11-28T08:00:00Z";
        return c;
    }
    std::string dir_;
};

TEST_F(ContainerStoreTest, InsertUpdateRemoveSurviveReopen) {
    {
        auto store = ContainerStore::open(dir_);
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->insert(make("a1", "one"), Durability::Flushed));
        auto c = make("a1", "renamed");
        c.state.status = RunState::Running;
        ASSERT_TRUE(store->update(c, Durability::Volatile));
        ASSERT_TRUE(store->insert(make("b2", "two"), Durability::Volatile));
        ASSERT_TRUE(store->remove("b2", Durability::Flushed));
    }
    auto store = ContainerStore::open(dir_);
    auto all = store->load_all();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].name, "renamed");
    EXPECT_EQ((*all)[0].state.status, RunState::Running);
}

TEST_F(ContainerStoreTest, ADamagedRecordIsSkippedAndNamed) {
    {
        auto store = ContainerStore::open(dir_);
        ASSERT_TRUE(store->insert(make("a1", "good"), Durability::Flushed));
        ASSERT_TRUE(store->insert(make("b2", "bad"), Durability::Flushed));
        auto db = store::Database::open(dir_ + "/metadata.db");
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("UPDATE containers SET doc = '{\"Id\": [' WHERE id = 'b2'"));
    }
    auto store = ContainerStore::open(dir_);
    std::vector<std::string> damaged;
    auto all = store->load_all([&](const std::string& id, const Error& error) {
        damaged.push_back(id + ": " + error.message());
    });
    ASSERT_TRUE(all) << all.error().message();
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].name, "good");
    ASSERT_EQ(damaged.size(), 1u);
    EXPECT_EQ(damaged[0].rfind("b2: container record", 0), 0u) << damaged[0];
}

TEST_F(ContainerStoreTest, TakenNameIsAConflictAndChangesNothing) {
    auto store = ContainerStore::open(dir_);
    ASSERT_TRUE(store->insert(make("a1", "web"), Durability::Flushed));
    auto again = store->insert(make("b2", "web"), Durability::Flushed);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind(), ErrorKind::Conflict);
    EXPECT_NE(again.error().message().find("is already in use by container \"a1\""),
              std::string::npos);
    EXPECT_EQ(store->load_all()->size(), 1u);
    auto missing = store->update(make("zz", "ghost"), Durability::Flushed);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
}

}  // namespace
}  // namespace berth::engine
