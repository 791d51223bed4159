#include "engine/data_root_check.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"
#include "store/database.h"

namespace berth::engine {
namespace {

class DataRootCheck : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-root-check-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        db_path_ = root_ + "/metadata.db";
    }
    void TearDown() override { (void)remove_all(root_); }

    void make_database_with_table() {
        auto db = store::Database::open(db_path_);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("CREATE TABLE containers (id TEXT PRIMARY KEY)"));
    }
    void add_container_dir() { ASSERT_TRUE(mkdir_all(root_ + "/containers/abc", 0700)); }

    std::string root_, db_path_;
};

TEST_F(DataRootCheck, NewRootPasses) {
    EXPECT_TRUE(check_data_root(root_));
    ASSERT_TRUE(mkdir_all(root_ + "/containers", 0700));
    ASSERT_TRUE(mkdir_all(root_ + "/snapshots/layers", 0700));
    EXPECT_TRUE(check_data_root(root_));
}

TEST_F(DataRootCheck, WholeDatabasePasses) {
    make_database_with_table();
    add_container_dir();
    auto checked = check_data_root(root_);
    EXPECT_TRUE(checked) << checked.error().message();
}

TEST_F(DataRootCheck, MissingDatabaseOverContainersIsRefused) {
    add_container_dir();
    auto checked = check_data_root(root_);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().message(),
              "metadata database " + db_path_ + " is missing, yet " + root_ +
                  " holds 1 container directory and 0 image layers: berthd does not start over "
                  "it; restore it from a backup, start berthd with --recover-metadata to rebuild "
                  "it from the files, or move " +
                  root_ + " aside to start anew");
    EXPECT_EQ(checked.error().sys_errno(), EUCLEAN);
    EXPECT_FALSE(path_exists(db_path_)) << "the check must not create the database";
}

TEST_F(DataRootCheck, EmptyDatabaseOverLayersIsRefused) {
    ASSERT_TRUE(mkdir_all(root_ + "/snapshots/layers/one", 0700));
    ASSERT_TRUE(mkdir_all(root_ + "/snapshots/layers/two", 0700));
    ASSERT_TRUE(write_file(db_path_, ""));
    auto checked = check_data_root(root_);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message().find("records nothing"), std::string::npos);
    EXPECT_NE(checked.error().message().find("holds 0 container directories and 2 image layers"),
              std::string::npos)
        << checked.error().message();
}

TEST_F(DataRootCheck, GarbageDatabaseIsRefusedEvenOverNothing) {
    ASSERT_TRUE(write_file(db_path_, std::string(10000, '\x5a')));
    auto checked = check_data_root(root_);
    ASSERT_FALSE(checked);
    EXPECT_EQ(
        checked.error().message().rfind(
            "metadata database " + db_path_ + " is damaged: file is not a database: berthd", 0),
        0u)
        << checked.error().message();
}

// Trouble that a restart may mend is no refusal: no EUCLEAN, no advice to restore a backup.
TEST_F(DataRootCheck, AnUnopenableDatabaseIsNotCalledDamaged) {
    ASSERT_TRUE(mkdir_all(db_path_, 0700));
    add_container_dir();
    auto checked = check_data_root(root_);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().sys_errno(), EUCLEAN);
    EXPECT_EQ(checked.error().message().find("backup"), std::string::npos)
        << checked.error().message();
}

TEST_F(DataRootCheck, TruncatedDatabaseIsRefused) {
    {
        auto db = store::Database::open(db_path_);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->exec("CREATE TABLE t (v TEXT)"));
        for (int i = 0; i < 50; ++i)
            ASSERT_TRUE(db->exec("INSERT INTO t VALUES (printf('%.4000c', 'x'))"));
    }  // closed: everything is checkpointed into the file
    auto content = read_file(db_path_);
    ASSERT_TRUE(content);
    ASSERT_GT(content->size(), 3 * 4096u);
    ASSERT_TRUE(write_file(db_path_, content->substr(0, content->size() / 2)));
    auto checked = check_data_root(root_);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message().find(" is damaged: "), std::string::npos)
        << checked.error().message();
    EXPECT_EQ(checked.error().sys_errno(), EUCLEAN);
}

TEST_F(DataRootCheck, ContainerDirectoriesWithoutRecordAreListed) {
    ASSERT_TRUE(mkdir_all(root_ + "/containers/known", 0700));
    ASSERT_TRUE(mkdir_all(root_ + "/containers/lost", 0700));
    auto unrecorded =
        unrecorded_container_dirs(root_, [](const std::string& id) { return id == "known"; });
    EXPECT_EQ(unrecorded, std::vector<std::string>{root_ + "/containers/lost"});
}

}  // namespace
}  // namespace berth::engine
