#include "image/snapshotter.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fs.h"

namespace berth::image {
namespace {

class SnapshotterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root for overlay mounts";
        char tmpl[] = "/var/tmp/berth-snap-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto snapshotter = OverlaySnapshotter::open(dir_ + "/snapshots");
        ASSERT_TRUE(snapshotter) << snapshotter.error().message();
        snapshotter_.emplace(std::move(*snapshotter));
        ASSERT_TRUE(mkdir_all(dir_ + "/mnt"));
    }
    void TearDown() override {
        if (dir_.empty()) return;
        ::umount2((dir_ + "/mnt").c_str(), MNT_DETACH);
        (void)remove_all(dir_);
    }

    Digest add_layer(const std::string& name, const std::function<void(const std::string&)>& fill) {
        auto temp = snapshotter_->make_temp_dir();
        EXPECT_TRUE(temp);
        fill(*temp);
        Digest id = sha256_of(name);
        EXPECT_TRUE(*snapshotter_->commit_layer(*temp, id));
        return id;
    }

    std::string dir_;
    std::optional<OverlaySnapshotter> snapshotter_;
};

TEST_F(SnapshotterTest, ReadOnlyOverlayOfLayersWithWhiteout) {
    Digest base = add_layer("base", [](const std::string& d) {
        ASSERT_TRUE(write_file(d + "/a", "from base"));
        ASSERT_TRUE(write_file(d + "/gone", "deleted above"));
    });
    Digest top = add_layer("top", [](const std::string& d) {
        ASSERT_TRUE(write_file(d + "/a", "from top"));
        ASSERT_EQ(::mknod((d + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
    });
    std::string mnt = dir_ + "/mnt";
    auto mounted = snapshotter_->mount({base, top}, std::nullopt, mnt);
    ASSERT_TRUE(mounted) << mounted.error().message();
    EXPECT_EQ(*read_file(mnt + "/a"), "from top");
    EXPECT_FALSE(path_exists(mnt + "/gone"));
    EXPECT_FALSE(write_file(mnt + "/new", "x")) << "read-only mount";
    ASSERT_TRUE(unmount_rootfs(mnt));
}

TEST_F(SnapshotterTest, WritableSnapshotKeepsChangesInUpper) {
    Digest base =
        add_layer("base", [](const std::string& d) { ASSERT_TRUE(write_file(d + "/a", "base")); });
    ASSERT_TRUE(snapshotter_->prepare_active("c1"));
    std::string mnt = dir_ + "/mnt";
    auto mounted = snapshotter_->mount({base}, "c1", mnt);
    ASSERT_TRUE(mounted) << mounted.error().message();
    ASSERT_TRUE(write_file(mnt + "/new", "written"));
    ASSERT_EQ(::unlink((mnt + "/a").c_str()), 0);
    ASSERT_TRUE(unmount_rootfs(mnt));
    EXPECT_EQ(*read_file(snapshotter_->upper_dir("c1") + "/new"), "written");
    EXPECT_EQ(*read_file(snapshotter_->layer_path(base) + "/a"), "base")
        << "layers are never changed";
    struct stat st {};
    ASSERT_EQ(::lstat((snapshotter_->upper_dir("c1") + "/a").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "deletion recorded as a whiteout";
    EXPECT_FALSE(snapshotter_->prepare_active("c1")) << "keys are unique";
    EXPECT_FALSE(snapshotter_->prepare_active("../evil"));
    ASSERT_TRUE(snapshotter_->remove_active("c1"));
}

TEST_F(SnapshotterTest, RetiredSnapshotCanBePutBack) {
    ASSERT_TRUE(snapshotter_->prepare_active("c1"));
    ASSERT_TRUE(write_file(snapshotter_->upper_dir("c1") + "/kept", "yes"));
    auto retired = snapshotter_->retire_active("c1");
    ASSERT_TRUE(retired && !retired->empty());
    EXPECT_FALSE(path_exists(snapshotter_->upper_dir("c1")));
    EXPECT_FALSE(snapshotter_->unretire_active("c1", dir_ + "/elsewhere"))
        << "only what retire_active moved goes back";
    ASSERT_TRUE(snapshotter_->unretire_active("c1", *retired));
    EXPECT_EQ(*read_file(snapshotter_->upper_dir("c1") + "/kept"), "yes");
    ASSERT_TRUE(snapshotter_->remove_active("c1"));
}

TEST_F(SnapshotterTest, ManyLayersBeyondThePageSizedOptionString) {
    std::vector<Digest> chain;
    for (int i = 0; i < 120; ++i)
        chain.push_back(add_layer("layer" + std::to_string(i), [i](const std::string& d) {
            ASSERT_TRUE(write_file(d + "/f" + std::to_string(i), std::to_string(i)));
        }));
    std::string mnt = dir_ + "/mnt";
    auto mounted = snapshotter_->mount(chain, std::nullopt, mnt);
    ASSERT_TRUE(mounted) << mounted.error().message();
    EXPECT_EQ(*read_file(mnt + "/f0"), "0");
    EXPECT_EQ(*read_file(mnt + "/f119"), "119");
    ASSERT_TRUE(unmount_rootfs(mnt));
}

TEST_F(SnapshotterTest, SecondCommitOfALayerKeepsTheFirst) {
    Digest id =
        add_layer("same", [](const std::string& d) { ASSERT_TRUE(write_file(d + "/x", "first")); });
    auto temp = snapshotter_->make_temp_dir();
    ASSERT_TRUE(write_file(*temp + "/x", "second"));
    EXPECT_FALSE(*snapshotter_->commit_layer(*temp, id));
    EXPECT_FALSE(path_exists(*temp));
    EXPECT_EQ(*read_file(snapshotter_->layer_path(id) + "/x"), "first");
    ASSERT_TRUE(snapshotter_->remove_layer(id));
    EXPECT_FALSE(snapshotter_->has_layer(id));
}

TEST_F(SnapshotterTest, MissingLayerIsNotFound) {
    auto mounted = snapshotter_->mount({sha256_of("nope")}, std::nullopt, dir_ + "/mnt");
    ASSERT_FALSE(mounted);
    EXPECT_EQ(mounted.error().kind(), ErrorKind::NotFound);
}

}  // namespace
}  // namespace berth::image
