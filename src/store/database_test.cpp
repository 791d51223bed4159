#include "store/database.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth::store {
namespace {

class DatabaseTest : public ::testing::Test {
  protected:
    TempDir temp_{"berth-db"};
    std::string dir_ = temp_.path();
};

TEST_F(DatabaseTest, StoresAndReadsRows) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"));
    auto insert = db->prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
    ASSERT_TRUE(insert);
    insert->bind(1, "a").bind(2, int64_t{42});
    ASSERT_TRUE(insert->run());
    auto select = db->prepare("SELECT k, v FROM t");
    ASSERT_TRUE(select);
    ASSERT_TRUE(*select->step());
    EXPECT_EQ(select->text(0), "a");
    EXPECT_EQ(select->integer(1), 42);
    EXPECT_FALSE(*select->step());
}

TEST_F(DatabaseTest, FailedTransactionLeavesNothing) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
    auto result = db->transaction([&]() -> Result<void> {
        TRY(db->exec("INSERT INTO t VALUES ('one')"));
        return fail(ErrorKind::InvalidArgument, "stop here");
    });
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message(), "stop here");
    auto count = db->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(*count->step());
    EXPECT_EQ(count->integer(0), 0);
}

TEST_F(DatabaseTest, ConstraintViolationIsConflict) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY)"));
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES ('x')"));
    auto again = db->exec("INSERT INTO t VALUES ('x')");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind(), ErrorKind::Conflict);
}

TEST_F(DatabaseTest, SecondConnectionSeesCommittedData) {
    auto a = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(a->exec("CREATE TABLE t (k TEXT)"));
    ASSERT_TRUE(a->transaction([&] { return a->exec("INSERT INTO t VALUES ('x')"); }));
    auto b = Database::open(dir_ + "/meta.db");
    auto count = b->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(*count->step());
    EXPECT_EQ(count->integer(0), 1);
}

// A Volatile commit skips the fsync (synchronous=NORMAL) and only that commit: the next default
// one is flushed again. Both are there for a second connection at once.
TEST_F(DatabaseTest, DurabilityIsChosenPerTransaction) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT)"));
    auto synchronous = [&]() -> int64_t {
        auto query = db->prepare("PRAGMA synchronous");
        if (!query || !*query->step()) return -1;
        return query->integer(0);
    };
    auto insert = [&](const char* key) -> Result<void> {
        auto statement = TRY(db->prepare("INSERT INTO t (k) VALUES (?1)"));
        statement.bind(1, key);
        return statement.run();
    };
    constexpr int64_t kNormal = 1, kFull = 2;
    EXPECT_EQ(synchronous(), kFull);
    ASSERT_TRUE(db->transaction([&] { return insert("volatile"); }, Durability::Volatile));
    EXPECT_EQ(synchronous(), kNormal);
    ASSERT_TRUE(db->transaction([&] { return insert("flushed"); }));
    EXPECT_EQ(synchronous(), kFull);

    auto other = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(other);
    auto count = other->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(count && *count->step());
    EXPECT_EQ(count->integer(0), 2);
}

TEST_F(DatabaseTest, ReusedStatementStartsAfresh) {
    auto db = Database::open(dir_ + "/meta.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"));
    for (int64_t v : {1, 2, 3}) {
        auto insert = db->prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
        ASSERT_TRUE(insert);
        std::string key = "k";  // not "k" + to_string(v): g++ 12's false -Wrestrict (GCC 105651)
        key += std::to_string(v);
        insert->bind(1, key).bind(2, v);
        ASSERT_TRUE(insert->run());
    }
    // A cached statement comes back reset: a half-read query, then the same text again.
    {
        auto partial = db->prepare("SELECT v FROM t ORDER BY v");
        ASSERT_TRUE(partial);
        ASSERT_TRUE(*partial->step());
        EXPECT_EQ(partial->integer(0), 1);
    }
    auto again = db->prepare("SELECT v FROM t ORDER BY v");
    ASSERT_TRUE(again);
    ASSERT_TRUE(*again->step());
    EXPECT_EQ(again->integer(0), 1);
    // The same text twice at once: two statements, each with its own cursor.
    auto other = db->prepare("SELECT v FROM t ORDER BY v");
    ASSERT_TRUE(other);
    ASSERT_TRUE(*other->step());
    EXPECT_EQ(other->integer(0), 1);
    ASSERT_TRUE(*again->step());
    EXPECT_EQ(again->integer(0), 2);
    // Unbound parameters of a reused statement are NULL again, not the last run's values.
    {
        auto insert = db->prepare("INSERT INTO t (k, v) VALUES (?1, ?2)");
        ASSERT_TRUE(insert);
        insert->bind(1, "unbound-v");
        ASSERT_TRUE(insert->run());
    }
    auto check = db->prepare("SELECT v IS NULL FROM t WHERE k = 'unbound-v'");
    ASSERT_TRUE(check);
    ASSERT_TRUE(*check->step());
    EXPECT_EQ(check->integer(0), 1);
}

TEST_F(DatabaseTest, StatementMayOutliveItsDatabase) {
    std::optional<Statement> kept;
    {
        auto db = Database::open(dir_ + "/meta.db");
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT)"));
        kept.emplace(std::move(*db->prepare("SELECT k FROM t")));
    }
    EXPECT_FALSE(*kept->step());
    kept.reset();  // finalized, and the connection closes (no leak under ASan)
}

// Container records hold Env values (passwords): no file of the database is for other users.
TEST_F(DatabaseTest, FilesAreOnlyForTheOwner) {
    std::string path = dir_ + "/meta.db";
    ASSERT_TRUE(write_file(path, "", 0644));  // as an older berthd left it
    auto db = Database::open(path);
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('secret')"));
    for (const char* suffix : {"", "-wal", "-shm"}) {
        struct stat st {};
        ASSERT_EQ(::stat((path + suffix).c_str(), &st), 0) << suffix;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << path + suffix;
    }
}

TEST_F(DatabaseTest, ExistingCompanionFilesAreTightened) {
    std::string path = dir_ + "/meta.db";
    for (const char* suffix : {"", "-wal", "-shm"})
        ASSERT_TRUE(write_file(path + suffix, "", 0644));
    ASSERT_TRUE(Database::open(path));
    for (const char* suffix : {"", "-wal", "-shm"}) {
        struct stat st {};
        if (::stat((path + suffix).c_str(), &st) == 0) {
            EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
        }
    }
}

TEST_F(DatabaseTest, UnopenablePathIsAnError) {
    auto db = Database::open(dir_ + "/missing/dir/meta.db");
    ASSERT_FALSE(db);
    EXPECT_NE(db.error().message().find("missing/dir"), std::string::npos);
}

TEST_F(DatabaseTest, GarbageFileIsReportedDamagedWithItsPath) {
    std::string path = dir_ + "/meta.db";
    ASSERT_TRUE(write_file(path, std::string(8192, 'x')));
    auto db = Database::open(path);
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().message(),
              "metadata database " + path + " is damaged: file is not a database");
    EXPECT_EQ(db.error().sys_errno(), EUCLEAN);
}

// SQLite's "database or disk is full" names neither the file nor the cause: berth sets no page
// limit, so a full database is a full disk (here the page limit stands in for one).
TEST_F(DatabaseTest, FullDatabaseNamesTheFile) {
    std::string path = dir_ + "/meta.db";
    auto db = Database::open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT); PRAGMA max_page_count = 8;"));
    auto filled = db->transaction([&]() -> Result<void> {
        auto insert = TRY(db->prepare("INSERT INTO t (v) VALUES (?1)"));
        insert.bind(1, std::string(64 * 1024, 'v'));
        return insert.run();
    });
    ASSERT_FALSE(filled);
    EXPECT_EQ(filled.error().message(),
              "write metadata database " + path + ": no space left on device");
    EXPECT_EQ(filled.error().sys_errno(), ENOSPC);
}

}  // namespace
}  // namespace berth::store
