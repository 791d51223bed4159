#include "image/layer_diff.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <map>
#include <string>
#include <vector>

#include "base/fs.h"
#include "image/layer_testing.h"
#include "image/layer_unpack.h"

namespace berth::image {
namespace {

using testing::EntrySpec;
using testing::TarBuilder;
using testing::TempDir;

// What a user could tell apart about a tree, one line per path.
class TreeDescriber {
  public:
    std::map<std::string, std::string> describe(const std::string& root) {
        out_.clear();
        inodes_.clear();
        walk(root, "");
        return out_;
    }

  private:
    void walk(const std::string& root, const std::string& rel) {
        for (const auto& name : testing::list_dir(root + "/" + rel)) {
            std::string path = rel.empty() ? name : rel + "/" + name;
            std::string full = root + "/" + path;
            struct stat st = testing::lstat_of(full);
            std::string line = "mode=" + std::to_string(st.st_mode) +
                               " uid=" + std::to_string(st.st_uid) +
                               " gid=" + std::to_string(st.st_gid);
            if (!S_ISLNK(st.st_mode)) line += " mtime=" + std::to_string(st.st_mtim.tv_sec);
            if (S_ISREG(st.st_mode)) {
                line += " data=" + sha256_of(*read_file(full)).hex();
                auto [it, first] = inodes_.try_emplace(st.st_ino, path);
                if (!first) line += " same-as=" + it->second;
            }
            if (S_ISLNK(st.st_mode)) line += " target=" + testing::read_link(full);
            if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
                line += " rdev=" + std::to_string(major(st.st_rdev)) + ":" +
                        std::to_string(minor(st.st_rdev));
            for (const char* key : {"user.a", "user.b", "security.capability",
                                    "trusted.overlay.opaque", "trusted.overlay.origin"}) {
                std::string value = testing::xattr_of(full, key);
                if (!value.empty()) line += std::string(" ") + key + "=" + value;
            }
            out_[path] = line;
            if (S_ISDIR(st.st_mode)) walk(root, path);
        }
    }

    std::map<std::string, std::string> out_;
    std::map<ino_t, std::string> inodes_;
};

struct TarEntryInfo {
    std::string name;
    unsigned type = 0;
    int64_t size = 0;
    std::string hardlink;
    std::vector<std::string> xattrs;
};

std::vector<TarEntryInfo> list_tar(const std::string& tar) {
    std::vector<TarEntryInfo> out;
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_open_memory(a, tar.data(), tar.size());
    archive_entry* e = nullptr;
    for (;;) {
        int rc = archive_read_next_header(a, &e);
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) break;
        TarEntryInfo info{archive_entry_pathname(e), archive_entry_filetype(e),
                          archive_entry_size(e),
                          archive_entry_hardlink(e) ? archive_entry_hardlink(e) : ""};
        archive_entry_xattr_reset(e);
        const char* name;
        const void* value;
        size_t size;
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
            info.xattrs.push_back(name);
        out.push_back(std::move(info));
    }
    archive_read_free(a);
    return out;
}

std::vector<std::string> names_of(const std::vector<TarEntryInfo>& entries) {
    std::vector<std::string> names;
    for (const auto& e : entries)
        names.push_back(e.name);
    return names;
}

// Writes the layer of `dir` into a file and returns its bytes.
std::string layer_of(const std::string& dir, DiffResult* result_out = nullptr,
                     const LeftOutPaths& left_out = {}) {
    TempDir tmp;
    auto fd = open_fd(tmp / "layer.tar", O_RDWR | O_CREAT | O_TRUNC, 0600);
    EXPECT_TRUE(fd);
    auto result = write_layer_tar(dir, fd->get(), left_out);
    EXPECT_TRUE(result) << result.error().message();
    std::string bytes = *read_file(tmp / "layer.tar");
    if (result) {
        EXPECT_EQ(result->size, bytes.size());
        EXPECT_EQ(result->diff_id, sha256_of(bytes));
        if (result_out != nullptr) *result_out = *result;
    }
    return bytes;
}

void unpack_into(const std::string& tar, const std::string& dir) {
    ASSERT_TRUE(mkdir_all(dir));
    auto fd = testing::memory_fd(tar);
    auto result = unpack_layer(fd.get(), dir);
    ASSERT_TRUE(result) << result.error().message();
}

std::string rich_layer() {
    std::string cap(
        "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
    return TarBuilder()
        .dir("usr", {.mtime = 1000})
        .dir("usr/bin", {.perm = 0711, .uid = 3, .gid = 4, .mtime = 2000})
        .file("usr/bin/su", "su", {.perm = 04755, .mtime = 3000})
        .hardlink("usr/bin/su-again", "usr/bin/su")
        .file("usr/bin/ping", "ping",
              {.perm = 0755, .xattrs = {{"security.capability", cap}, {"user.a", "1"}}})
        .symlink("usr/bin/link", "su", {.uid = 5, .gid = 6})
        .symlink("abs", "/usr/bin/su")
        .dir("dev", {.mtime = 4000})
        .device("dev/null", false, 1, 3, {.perm = 0666})
        .device("dev/sda", true, 8, 0, {.perm = 0660, .gid = 6})
        .fifo("dev/fifo", {.perm = 0600, .uid = 1000})
        .dir("tmp", {.perm = 01777, .xattrs = {{"user.b", "dir xattr"}}})
        .file("tmp/" + std::string(150, 'n'), std::string(2 << 20, 'z'),
              {.uid = 70000, .gid = 80000})
        .file(".wh.deleted", "")
        .dir("opaque", {.mtime = 5000})
        .file("opaque/.wh..wh..opq", "")
        .file("opaque/new", "new")
        .file("caf\xc3\xa9", "utf-8 name")
        .finish();
}

TEST(LayerDiff, RoundTripGivesAnIdenticalTree) {
    TempDir tmp;
    unpack_into(rich_layer(), tmp / "one");
    std::string layer = layer_of(tmp / "one");
    unpack_into(layer, tmp / "two");
    TreeDescriber describer;
    auto one = describer.describe(tmp / "one");
    auto two = describer.describe(tmp / "two");
    EXPECT_EQ(one, two);
    EXPECT_EQ(one.size(), 17u);  // every entry made it (the markers as what they stand for)
    EXPECT_NE(one["deleted"].find("rdev=0:0"), std::string::npos);
    EXPECT_NE(one["opaque"].find("trusted.overlay.opaque=y"), std::string::npos);
    EXPECT_NE(one["usr/bin/su-again"].find("same-as=usr/bin/su"), std::string::npos);

    // Same tree, made twice: byte-identical layers.
    EXPECT_EQ(layer_of(tmp / "two"), layer);
}

TEST(LayerDiff, SameTreeSameDiffId) {
    TempDir tmp;
    unpack_into(rich_layer(), tmp / "one");
    DiffResult first, second;
    std::string a = layer_of(tmp / "one", &first);
    std::string b = layer_of(tmp / "one", &second);
    EXPECT_EQ(first.diff_id, second.diff_id);
    EXPECT_EQ(first.size, second.size);
    EXPECT_EQ(a, b);
    // Ends with the two zero blocks and no blocking padding, as docker's layers do.
    EXPECT_EQ(a.size() % 512, 0u);
    EXPECT_EQ(a.substr(a.size() - 1024), std::string(1024, '\0'));
    EXPECT_NE(a.substr(a.size() - 1536, 512), std::string(512, '\0'));
}

TEST(LayerDiff, EntriesAreSortedRelativeAndDirsEndInSlash) {
    TempDir tmp;
    std::string root = tmp / "tree";
    ASSERT_TRUE(mkdir_all(root + "/a/b"));
    ASSERT_TRUE(write_file(root + "/a-c", "x"));
    ASSERT_TRUE(write_file(root + "/a/b/f", "f"));
    ASSERT_TRUE(write_file(root + "/B", "upper"));
    ASSERT_TRUE(write_file(root + "/a/z", "z"));
    auto entries = list_tar(layer_of(root));
    EXPECT_EQ(names_of(entries),
              (std::vector<std::string>{"B", "a/", "a/b/", "a/b/f", "a/z", "a-c"}));
    EXPECT_EQ(entries[3].size, 1);
}

TEST(LayerDiff, PathsLeftOutAreNotInTheLayer) {
    TempDir tmp;
    std::string root = tmp / "tree";
    ASSERT_TRUE(mkdir_all(root + "/etc"));
    ASSERT_TRUE(mkdir_all(root + "/dev/pts"));
    ASSERT_TRUE(write_file(root + "/etc/hosts", ""));
    ASSERT_TRUE(write_file(root + "/etc/motd", "hi"));
    ASSERT_TRUE(write_file(root + "/hosts", ""));
    auto entries = list_tar(layer_of(root, nullptr, {"etc/hosts", "dev"}));
    EXPECT_EQ(names_of(entries), (std::vector<std::string>{"etc/", "etc/motd", "hosts"}));
}

TEST(LayerDiff, OverlayWhiteoutsAndOpaqueDirsBecomeWhiteoutEntries) {
    TempDir tmp;
    std::string root = tmp / "upper";
    ASSERT_TRUE(mkdir_all(root + "/etc/opq"));
    ASSERT_EQ(::mknod((root + "/etc/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
    ASSERT_EQ(::setxattr((root + "/etc/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
    ASSERT_EQ(::setxattr((root + "/etc/opq").c_str(), "trusted.overlay.origin", "x", 1, 0), 0);
    ASSERT_EQ(::setxattr((root + "/etc/opq").c_str(), "user.a", "kept", 4, 0), 0);
    ASSERT_TRUE(write_file(root + "/etc/opq/-first", "sorts before the marker"));
    ASSERT_TRUE(write_file(root + "/etc/opq/file", "f"));
    // A real device that is not a whiteout stays a device.
    ASSERT_EQ(::mknod((root + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);

    std::string layer = layer_of(root);
    auto entries = list_tar(layer);
    EXPECT_EQ(names_of(entries),
              (std::vector<std::string>{"etc/", "etc/.wh.gone", "etc/opq/", "etc/opq/-first",
                                        "etc/opq/.wh..wh..opq", "etc/opq/file", "null"}));
    EXPECT_EQ(entries[1].type, static_cast<unsigned>(AE_IFREG));
    EXPECT_EQ(entries[1].size, 0);
    EXPECT_EQ(entries[4].type, static_cast<unsigned>(AE_IFREG));
    EXPECT_EQ(entries[2].xattrs, (std::vector<std::string>{"user.a"}));  // no trusted.overlay.*
    EXPECT_EQ(entries[6].type, static_cast<unsigned>(AE_IFCHR));

    // And back: the same overlay markers.
    unpack_into(layer, tmp / "back");
    auto gone = testing::lstat_of(tmp / "back/etc/gone");
    EXPECT_TRUE(S_ISCHR(gone.st_mode));
    EXPECT_EQ(gone.st_rdev, makedev(0, 0));
    EXPECT_EQ(testing::xattr_of(tmp / "back/etc/opq", "trusted.overlay.opaque"), "y");
    EXPECT_EQ(testing::xattr_of(tmp / "back/etc/opq", "trusted.overlay.origin"), "");
    EXPECT_FALSE(path_exists(tmp / "back/etc/opq/.wh..wh..opq"));
}

TEST(LayerDiff, HardlinksBecomeLinkEntriesToTheFirstName) {
    TempDir tmp;
    std::string root = tmp / "tree";
    ASSERT_TRUE(mkdir_all(root + "/x"));
    ASSERT_TRUE(write_file(root + "/x/b", "data"));
    ASSERT_EQ(::link((root + "/x/b").c_str(), (root + "/a").c_str()), 0);
    ASSERT_EQ(::link((root + "/x/b").c_str(), (root + "/x/c").c_str()), 0);
    auto entries = list_tar(layer_of(root));
    ASSERT_EQ(names_of(entries), (std::vector<std::string>{"a", "x/", "x/b", "x/c"}));
    EXPECT_EQ(entries[0].size, 4);
    EXPECT_EQ(entries[0].hardlink, "");
    EXPECT_EQ(entries[2].hardlink, "a");
    EXPECT_EQ(entries[3].hardlink, "a");
}

TEST(LayerDiff, FileNamedLikeAWhiteoutIsRefused) {
    TempDir tmp;
    std::string root = tmp / "tree";
    ASSERT_TRUE(mkdir_all(root));
    ASSERT_TRUE(write_file(root + "/.wh.sneaky", "x"));
    auto fd = open_fd(tmp / "out.tar", O_RDWR | O_CREAT, 0600);
    auto result = write_layer_tar(root, fd->get());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(result.error().message().find(".wh.sneaky"), std::string::npos);
}

TEST(LayerDiff, OutputErrorsAreReported) {
    TempDir tmp;
    unpack_into(rich_layer(), tmp / "tree");
    ASSERT_TRUE(write_file(tmp / "ro", ""));
    auto fd = open_fd(tmp / "ro", O_RDONLY);
    auto result = write_layer_tar(tmp / "tree", fd->get());
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message().find("write layer: write: bad file descriptor"),
              std::string::npos)
        << result.error().message();
}

TEST(LayerDiff, DoesNotDescendIntoOtherMounts) {
    TempDir tmp;
    std::string root = tmp / "tree";
    ASSERT_TRUE(mkdir_all(root + "/mnt"));
    ASSERT_TRUE(write_file(root + "/file", "x"));
    if (::mount("tmpfs", (root + "/mnt").c_str(), "tmpfs", 0, "size=1m") < 0)
        GTEST_SKIP() << "cannot mount tmpfs: " << std::strerror(errno);
    ASSERT_TRUE(write_file(root + "/mnt/inside", "other fs"));
    auto entries = list_tar(layer_of(root));
    ::umount2((root + "/mnt").c_str(), MNT_DETACH);
    EXPECT_EQ(names_of(entries), (std::vector<std::string>{"file", "mnt/"}));
}

}  // namespace
}  // namespace berth::image
