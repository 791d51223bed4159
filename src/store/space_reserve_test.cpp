#include "store/space_reserve.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/fs.h"
#include "store/database.h"

namespace berth::store {
namespace {

class SpaceReserveTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-reserve-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { (void)remove_all(dir_); }
    size_t entries() const {
        return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_),
                                                 std::filesystem::directory_iterator()));
    }
    std::string dir_;
};

TEST_F(SpaceReserveTest, RestoreAllocatesTheWholeFileAndReleaseFreesIt) {
    SpaceReserve reserve(dir_ + "/reserve", 1 << 20);
    EXPECT_FALSE(reserve.present());
    ASSERT_TRUE(reserve.restore());
    struct stat st {};
    ASSERT_EQ(::stat(reserve.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 1 << 20);
    // Blocks, not a hole: deleting a sparse file would free nothing.
    EXPECT_GE(st.st_blocks * 512, 1 << 20);
    EXPECT_EQ(entries(), 1u) << "no temporary file left";
    EXPECT_TRUE(reserve.restore()) << "a present reserve is left as it is";
    EXPECT_EQ(reserve.release().value_or(false), true);
    EXPECT_FALSE(reserve.present());
    EXPECT_EQ(reserve.release().value_or(true), false) << "nothing more to free";
}

TEST_F(SpaceReserveTest, DatabaseKeepsOneBesideItsFile) {
    // What a kill during a restore leaves: deleted at open.
    ASSERT_TRUE(write_file(dir_ + "/meta.db-reserve.AbC123", "partial"));
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db) << db.error().message();
    EXPECT_EQ(db->reserve().path(), dir_ + "/meta.db-reserve");
    EXPECT_TRUE(db->reserve().present());
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/meta.db-reserve.AbC123"));
    ASSERT_TRUE(db->reserve().release());
    ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT)"));
    ASSERT_TRUE(db->transaction([&]() { return db->exec("INSERT INTO t VALUES ('x')"); }));
    EXPECT_TRUE(db->reserve().present()) << "made again after a transaction that found room";
}

// A database that cannot grow (max_page_count) fails as a full disk does: SQLITE_FULL.
TEST_F(SpaceReserveTest, OnlyAnAllowedTransactionSpendsTheReserve) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT)"));
    auto page_count = db->prepare("PRAGMA page_count");
    ASSERT_TRUE(page_count && page_count->step().value_or(false));
    ASSERT_TRUE(db->exec("PRAGMA max_page_count=" + std::to_string(page_count->integer(0))));
    auto grow = [&]() { return db->exec("INSERT INTO t VALUES (zeroblob(100000))"); };

    auto kept = db->transaction(grow, Durability::Flushed, ReserveUse::Never);
    ASSERT_FALSE(kept);
    EXPECT_EQ(kept.error().sys_errno(), ENOSPC) << kept.error().message();
    EXPECT_TRUE(db->reserve().present());

    int attempts = 0;
    auto spent = db->transaction(
        [&]() {
            ++attempts;
            return grow();
        },
        Durability::Flushed, ReserveUse::WhenFull);
    ASSERT_FALSE(spent) << "the database still cannot grow";
    EXPECT_EQ(attempts, 2) << "once more after releasing the reserve";
    EXPECT_FALSE(db->reserve().present());
}

}  // namespace
}  // namespace berth::store
