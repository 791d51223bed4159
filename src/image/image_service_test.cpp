#include "image/image_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace berth::image {
namespace {

class ImageServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (overlay mounts, ownership)";
        char tmpl[] = "/var/tmp/berth-images-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        auto service = ImageService::open(dir_ + "/store");
        ASSERT_TRUE(service) << service.error().message();
        images_ = std::move(*service);
        ASSERT_TRUE(mkdir_all(dir_ + "/mnt"));
    }
    void TearDown() override {
        if (dir_.empty()) return;
        ::umount2((dir_ + "/mnt").c_str(), MNT_DETACH);
        images_.reset();
        (void)remove_all(dir_);
    }

    Digest import_tree(const std::string& name, const std::string& tag,
                       const std::function<void(const std::string&)>& fill) {
        std::string tree = dir_ + "/" + name;
        EXPECT_TRUE(mkdir_all(tree));
        fill(tree);
        auto id = images_->import_directory(tree, {.reference = tag, .changes = {"CMD [\"sh\"]"}});
        EXPECT_TRUE(id) << id.error().message();
        return id ? *id : Digest();
    }

    std::string dir_;
    std::unique_ptr<ImageService> images_;
};

TEST_F(ImageServiceTest, CommitRecordsAddsDeletesAndOpaqueDirs) {
    Digest base = import_tree("base", "base:1", [](const std::string& d) {
        ASSERT_TRUE(write_file(d + "/keep", "kept"));
        ASSERT_TRUE(write_file(d + "/remove-me", "doomed"));
        ASSERT_TRUE(mkdir_all(d + "/dir/sub"));
        ASSERT_TRUE(write_file(d + "/dir/sub/old", "old"));
    });
    ImageRecord record = *images_->resolve("base:1");
    auto chain = *images_->layer_chain(record);
    auto& snapshots = images_->snapshotter();
    ASSERT_TRUE(snapshots.prepare_active("c1"));
    std::string mnt = dir_ + "/mnt";
    ASSERT_TRUE(snapshots.mount(chain, "c1", mnt));
    ASSERT_TRUE(write_file(mnt + "/added", "new file"));
    ASSERT_EQ(::unlink((mnt + "/remove-me").c_str()), 0);
    ASSERT_TRUE(remove_all(mnt + "/dir"));
    ASSERT_TRUE(mkdir_all(mnt + "/dir"));
    ASSERT_TRUE(write_file(mnt + "/dir/fresh", "fresh"));
    ASSERT_TRUE(unmount_rootfs(mnt));

    auto committed = images_->commit(
        snapshots.upper_dir("c1"), base,
        {.reference = "committed:1", .changes = {"ENV STAGE=2"}, .message = "step two"});
    ASSERT_TRUE(committed) << committed.error().message();
    ImageRecord image = *images_->resolve("committed:1");
    EXPECT_EQ(image.id, *committed);
    ImageConfig config = *images_->config_of(image);
    EXPECT_EQ(config.diff_ids.size(), 2u);
    EXPECT_EQ(config.raw["config"]["Env"][0], "STAGE=2");
    EXPECT_EQ(config.raw["config"]["Cmd"][0], "sh") << "the parent's config carries over";
    EXPECT_EQ(config.history.back().comment, "step two");

    ASSERT_TRUE(images_->mount("committed:1", mnt));
    EXPECT_EQ(*read_file(mnt + "/keep"), "kept");
    EXPECT_EQ(*read_file(mnt + "/added"), "new file");
    EXPECT_FALSE(path_exists(mnt + "/remove-me")) << "deletion committed as a whiteout";
    EXPECT_FALSE(path_exists(mnt + "/dir/sub")) << "replaced directory committed as opaque";
    EXPECT_EQ(*read_file(mnt + "/dir/fresh"), "fresh");
    ASSERT_TRUE(unmount_rootfs(mnt));
    ASSERT_TRUE(snapshots.remove_active("c1"));

    // The committed image survives a save/load round trip into another store with its ID.
    std::string archive = dir_ + "/committed.tar";
    UniqueFd out(::open(archive.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    ASSERT_TRUE(images_->save({"committed:1"}, out.get(), SaveFormat::Combined));
    out.reset();
    auto other = ImageService::open(dir_ + "/other");
    ASSERT_TRUE(other);
    UniqueFd in(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
    auto loaded = (*other)->load(in.get());
    ASSERT_TRUE(loaded) << loaded.error().message();
    ASSERT_EQ(loaded->image_ids.size(), 1u);
    EXPECT_EQ(loaded->image_ids[0], image.id);
}

TEST_F(ImageServiceTest, RetaggingLeavesTheOldImageDangling) {
    Digest first = import_tree(
        "one", "app:latest", [](const std::string& d) { ASSERT_TRUE(write_file(d + "/v", "1")); });
    Digest second = import_tree(
        "two", "app:latest", [](const std::string& d) { ASSERT_TRUE(write_file(d + "/v", "2")); });
    ASSERT_NE(first, second);
    EXPECT_EQ(images_->resolve("app")->id, second);
    auto old = images_->resolve(first.str());
    ASSERT_TRUE(old);
    EXPECT_TRUE(old->tags.empty());
    auto pruned = images_->prune(false);
    ASSERT_TRUE(pruned);
    EXPECT_FALSE(images_->resolve(first.str())) << "dangling image pruned";
    EXPECT_TRUE(images_->resolve("app:latest")) << "tagged image kept";
    EXPECT_GT(pruned->reclaimed_bytes, 0u);
}

TEST_F(ImageServiceTest, GarbageCollectionRespectsLeases) {
    import_tree("base", "gc:1",
                [](const std::string& d) { ASSERT_TRUE(write_file(d + "/f", "data")); });
    // An in-flight operation has stored a blob nothing references yet.
    auto lease = images_->content().lease();
    ASSERT_TRUE(lease);
    Digest orphan = *images_->content().write_blob("written by an unfinished load");
    auto refused = images_->collect_garbage(false);
    ASSERT_FALSE(refused) << "no collection while a lease is held";
    EXPECT_EQ(refused.error().kind(), ErrorKind::Unavailable);
    EXPECT_TRUE(images_->content().contains(orphan));
    *lease = StoreLock();
    auto report = images_->collect_garbage(false);
    ASSERT_TRUE(report) << report.error().message();
    EXPECT_EQ(report->blobs_removed, 1u);
    EXPECT_FALSE(images_->content().contains(orphan)) << "swept once the lease was released";
    EXPECT_TRUE(images_->resolve("gc:1")) << "referenced content kept";
    EXPECT_TRUE(images_->verify(""));
}

TEST_F(ImageServiceTest, ResolveErrors) {
    auto missing = images_->resolve("nothing:here");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(missing.error().message(), "No such image: nothing:here");
    auto bad = images_->resolve("UPPER");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
    Digest a = import_tree("a", "a:1",
                           [](const std::string& d) { ASSERT_TRUE(write_file(d + "/x", "a")); });
    EXPECT_EQ(images_->resolve(a.hex().substr(0, 6))->id, a);
    EXPECT_FALSE(images_->tag("a:1", "b@sha256:" + std::string(64, 'a')));
}

}  // namespace
}  // namespace berth::image
