#include "engine/record_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace berth::engine {
namespace {

class RecordFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char pattern[] = "/tmp/record-file-XXXXXX";
        dir_ = ::mkdtemp(pattern);
    }
    void TearDown() override { (void)remove_all(dir_); }
    std::string dir_;
};

TEST_F(RecordFileTest, RoundTripsWhatDefinesTheContainer) {
    Container c;
    c.id = std::string(64, 'a');
    c.name = "web";
    c.created = "2026-12-07T18:00:00Z";
    c.image = "busybox";
    c.config = {{"Cmd", {"sleep", "1"}}};
    c.host_config = {{"RestartPolicy", {{"Name", "always"}, {"MaximumRetryCount", 0}}}};
    c.manually_stopped = true;
    ASSERT_TRUE(write_record_file(dir_, c, Durability::Flushed));
    auto read = read_record_file(dir_, c.id);
    ASSERT_TRUE(read) << read.error().message();
    EXPECT_EQ(read->name, "web");
    EXPECT_EQ(read->config, c.config);
    EXPECT_EQ(read->host_config, c.host_config);
    EXPECT_TRUE(read->manually_stopped);
}

TEST_F(RecordFileTest, MissingDamagedOrForeignRecordIsAnError) {
    std::string id(64, 'b');
    auto missing = read_record_file(dir_, id);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    ASSERT_TRUE(write_file(join_path(dir_, kRecordFileName), "{\"Id\": tru", 0600));
    auto damaged = read_record_file(dir_, id);
    ASSERT_FALSE(damaged);
    EXPECT_NE(damaged.error().message().find(kRecordFileName), std::string::npos);
    Container other;
    other.id = std::string(64, 'c');
    other.name = "other";
    ASSERT_TRUE(write_record_file(dir_, other, Durability::Volatile));
    EXPECT_FALSE(read_record_file(dir_, id));
}

}  // namespace
}  // namespace berth::engine
