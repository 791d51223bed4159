#include "image/layer_unpack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string>

#include "base/fs.h"
#include "image/layer_testing.h"
#include "image/tree_writer.h"

namespace berth::image {
namespace {

using testing::EntrySpec;
using testing::TarBuilder;
using testing::TempDir;

// A target directory and, next to it, an "outside" one that a hostile layer must never touch.
struct Sandbox {
    TempDir tmp;
    std::string target = tmp / "target";
    std::string outside = tmp / "outside";
    Sandbox() {
        EXPECT_TRUE(mkdir_all(target));
        EXPECT_TRUE(mkdir_all(outside));
    }
    Result<UnpackResult> unpack(std::string_view blob, UnpackOptions options = {}) {
        auto fd = testing::memory_fd(blob);
        return unpack_layer(fd.get(), target, options);
    }
    std::vector<std::string> outside_names() const { return testing::list_dir(outside); }
    std::vector<std::string> tmp_names() const { return testing::list_dir(tmp.path()); }
};

void expect_refused(const Result<UnpackResult>& result, std::string_view fragment) {
    ASSERT_FALSE(result) << "unpack should have failed";
    EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument) << result.error().message();
    EXPECT_NE(result.error().message().find(fragment), std::string::npos)
        << result.error().message();
    EXPECT_EQ(result.error().message().find('\n'), std::string::npos);
}

TEST(LayerUnpack, DetectsCompressionByMagic) {
    EXPECT_EQ(detect_compression("\x1f\x8b\x08\x00"), Compression::Gzip);
    EXPECT_EQ(detect_compression("\x28\xb5\x2f\xfd\x00"), Compression::Zstd);
    EXPECT_EQ(detect_compression("\x50\x2a\x4d\x18\x00"), Compression::Zstd);  // skippable frame
    EXPECT_EQ(detect_compression("etc/passwd"), Compression::None);
    EXPECT_EQ(detect_compression(""), Compression::None);
    EXPECT_EQ(to_string(Compression::Zstd), "zstd");
}

std::string sample_tar() {
    return TarBuilder()
        .dir("etc")
        .file("etc/hostname", "berth\n")
        .file("bin/tool", std::string(3 << 20, 'x'), {.perm = 0755})  // spans several chunks
        .symlink("etc/alias", "hostname")
        .finish();
}

TEST(LayerUnpack, PlainGzipAndZstdGiveTheDiffIdOfThePlainTar) {
    std::string tar = sample_tar();
    for (const std::string& blob : {tar, testing::gzip(tar), testing::zstd(tar)}) {
        Sandbox box;
        auto result = box.unpack(blob);
        ASSERT_TRUE(result) << result.error().message();
        EXPECT_EQ(result->diff_id, sha256_of(tar));
        EXPECT_EQ(result->uncompressed_size, tar.size());
        EXPECT_EQ(result->entries, 4u);
        EXPECT_EQ(*read_file(box.target + "/etc/hostname"), "berth\n");
        EXPECT_EQ(read_file(box.target + "/bin/tool")->size(), 3u << 20);
        EXPECT_EQ(testing::read_link(box.target + "/etc/alias"), "hostname");
    }
}

TEST(LayerUnpack, ConcatenatedGzipMembersAndZstdFrames) {
    std::string tar = sample_tar();
    size_t half = tar.size() / 2 + 100;  // not on a tar block boundary
    std::string first = tar.substr(0, half), second = tar.substr(half);
    for (const std::string& blob : {testing::gzip(first) + testing::gzip(second),
                                    testing::zstd(first) + testing::zstd(second)}) {
        Sandbox box;
        auto result = box.unpack(blob);
        ASSERT_TRUE(result) << result.error().message();
        EXPECT_EQ(result->diff_id, sha256_of(tar));
        EXPECT_EQ(read_file(box.target + "/bin/tool")->size(), 3u << 20);
    }
}

TEST(LayerUnpack, BytesAfterTheTarEndAreHashedToo) {
    std::string tar = TarBuilder().file("a", "a").finish() + std::string(20 * 512, '\0');
    Sandbox box;
    auto result = box.unpack(testing::gzip(tar));
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_EQ(result->uncompressed_size, tar.size());
}

TEST(LayerUnpack, CorruptOrTruncatedStreamsAreErrors) {
    std::string tar = sample_tar();
    std::string gz = testing::gzip(tar);
    {
        Sandbox box;
        auto result = box.unpack(gz.substr(0, gz.size() / 2));
        expect_refused(result, "gzip: unexpected end of stream at byte");
    }
    {
        std::string bad = gz;
        bad[bad.size() / 2] ^= 0x55;
        bad[bad.size() / 2 + 1] ^= 0x55;
        Sandbox box;
        auto result = box.unpack(bad);
        expect_refused(result, "gzip: ");
    }
    {
        std::string zst = testing::zstd(tar);
        Sandbox box;
        expect_refused(box.unpack(zst.substr(0, zst.size() - 10)), "zstd: ");
    }
    {
        Sandbox box;
        expect_refused(box.unpack(tar.substr(0, tar.size() / 2)), "Truncated tar archive");
    }
    {
        Sandbox box;
        expect_refused(box.unpack(gz + "garbage!"), "gzip: ");
    }
}

TEST(LayerUnpack, EmptyTarIsAnEmptyLayer) {
    std::string tar(1024, '\0');
    Sandbox box;
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->entries, 0u);
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_TRUE(testing::list_dir(box.target).empty());
}

// --- hostile layers ---------------------------------------------------------------------------

TEST(CleanLayerPath, MakesNamesRelativeToTheRootAndRefusesClimbingAbove) {
    EXPECT_EQ(clean_layer_path("./etc//passwd"), "etc/passwd");
    EXPECT_EQ(clean_layer_path("/etc/../bin/"), "bin");
    EXPECT_EQ(clean_layer_path("a/b/../../c"), "c");
    EXPECT_EQ(clean_layer_path("."), "");
    EXPECT_EQ(clean_layer_path("/"), "");
    EXPECT_EQ(clean_layer_path("a/.."), "");
    EXPECT_EQ(clean_layer_path(".."), std::nullopt);
    EXPECT_EQ(clean_layer_path("/../etc"), std::nullopt);
    EXPECT_EQ(clean_layer_path("a/../../b"), std::nullopt);
    EXPECT_EQ(clean_layer_path("..a/b"), "..a/b");
}

TEST(LayerUnpack, DotDotEscapesAreRefused) {
    for (const char* name : {"../evil", "a/../../evil", "./../outside/evil", "a/b/../../../evil"}) {
        Sandbox box;
        auto result = box.unpack(TarBuilder().dir("a").file(name, "pwned").finish());
        expect_refused(result, std::string("layer entry \"") + name + "\": escapes the layer root");
        EXPECT_TRUE(box.outside_names().empty()) << name;
        EXPECT_EQ(box.tmp_names(), (std::vector<std::string>{"outside", "target"})) << name;
    }
}

TEST(LayerUnpack, AbsoluteNamesLandInsideTheTarget) {
    Sandbox box;
    std::string abs_outside = box.outside + "/evil";
    auto result = box.unpack(TarBuilder().file("/abs/evil", "x").file(abs_outside, "y").finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*read_file(box.target + "/abs/evil"), "x");
    EXPECT_EQ(*read_file(box.target + abs_outside), "y");
    EXPECT_TRUE(box.outside_names().empty());
}

TEST(LayerUnpack, WritesThroughPlantedSymlinksStayInside) {
    Sandbox box;
    std::string tar = TarBuilder()
                          .symlink("root", "/")
                          .symlink("up", "../../..")
                          .symlink("abs", box.outside)
                          .symlink("rel", "../outside")
                          .file("root/evil1", "1")
                          .file("up/evil2", "2")
                          .file("abs/evil3", "3")
                          .file("rel/evil4", "4")
                          .dir("abs/sub")
                          .finish();
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_TRUE(box.outside_names().empty());
    EXPECT_EQ(box.tmp_names(), (std::vector<std::string>{"outside", "target"}));
    // Resolved as if the target were "/".
    EXPECT_EQ(*read_file(box.target + "/evil1"), "1");
    EXPECT_EQ(*read_file(box.target + "/evil2"), "2");
    EXPECT_EQ(*read_file(box.target + box.outside + "/evil3"), "3");
    EXPECT_EQ(*read_file(box.target + "/outside/evil4"), "4");
    EXPECT_TRUE(S_ISDIR(testing::lstat_of(box.target + box.outside + "/sub").st_mode));
    // The symlinks themselves are kept as the layer made them.
    EXPECT_EQ(testing::read_link(box.target + "/root"), "/");
    EXPECT_EQ(testing::read_link(box.target + "/abs"), box.outside);
}

TEST(LayerUnpack, EntryReplacingASymlinkReplacesItInsteadOfWritingThrough) {
    Sandbox box;
    ASSERT_TRUE(write_file(box.outside + "/victim", "original"));
    ASSERT_TRUE(mkdir_all(box.outside + "/victimdir"));
    std::string tar = TarBuilder()
                          .symlink("f", box.outside + "/victim")
                          .file("f", "replaced", {.perm = 0600, .uid = 0, .gid = 0})
                          .symlink("g", box.outside + "/victim")
                          .fifo("g")
                          .symlink("d", box.outside + "/victimdir")
                          .dir("d", {.perm = 0700})
                          .file("d/x", "x")
                          .symlink("h", box.outside + "/victim")
                          .symlink("h", "elsewhere")
                          .finish();
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*read_file(box.outside + "/victim"), "original");
    EXPECT_EQ(testing::lstat_of(box.outside + "/victim").st_mode & 07777, 0644u);
    EXPECT_TRUE(testing::list_dir(box.outside + "/victimdir").empty());
    EXPECT_EQ(*read_file(box.target + "/f"), "replaced");
    EXPECT_TRUE(S_ISREG(testing::lstat_of(box.target + "/f").st_mode));
    EXPECT_TRUE(S_ISFIFO(testing::lstat_of(box.target + "/g").st_mode));
    EXPECT_TRUE(S_ISDIR(testing::lstat_of(box.target + "/d").st_mode));
    EXPECT_EQ(testing::read_link(box.target + "/h"), "elsewhere");
}

TEST(LayerUnpack, HardlinksOutsideTheLayerAreRefused) {
    {
        Sandbox box;
        ASSERT_TRUE(write_file(box.outside + "/file", "secret"));
        auto result = box.unpack(TarBuilder().hardlink("h", "../../outside/file").finish());
        expect_refused(result, "hardlink target \"../../outside/file\" escapes the layer root");
        EXPECT_EQ(testing::lstat_of(box.outside + "/file").st_nlink, 1u);
    }
    {
        // Through a symlink to the outside directory: resolved inside, where no such file is.
        Sandbox box;
        ASSERT_TRUE(write_file(box.outside + "/file", "secret"));
        auto result = box.unpack(TarBuilder()
                                     .symlink("link", box.outside)
                                     .symlink("rel", "../../outside")
                                     .hardlink("h", "link/file")
                                     .finish());
        expect_refused(result, "does not exist in the layer");
        EXPECT_EQ(testing::lstat_of(box.outside + "/file").st_nlink, 1u);
    }
    {
        Sandbox box;
        ASSERT_TRUE(write_file(box.outside + "/file", "secret"));
        auto result = box.unpack(
            TarBuilder().symlink("rel", "../../outside").hardlink("h", "rel/file").finish());
        expect_refused(result, "does not exist in the layer");
        EXPECT_EQ(testing::lstat_of(box.outside + "/file").st_nlink, 1u);
    }
    {
        // A hardlink to a symlink links the symlink itself, never what it points to.
        Sandbox box;
        ASSERT_TRUE(write_file(box.outside + "/file", "secret"));
        auto result = box.unpack(
            TarBuilder().symlink("link", box.outside + "/file").hardlink("h", "link").finish());
        ASSERT_TRUE(result) << result.error().message();
        EXPECT_EQ(testing::lstat_of(box.outside + "/file").st_nlink, 1u);
        EXPECT_EQ(testing::read_link(box.target + "/h"), box.outside + "/file");
    }
    {
        Sandbox box;
        expect_refused(box.unpack(TarBuilder().hardlink("h", "missing").finish()),
                       "layer entry \"h\": hardlink target \"missing\" does not exist");
    }
}

TEST(LayerUnpack, DeviceNodesCanBeRefused) {
    std::string tar = TarBuilder().device("dev/null", false, 1, 3).finish();
    {
        Sandbox box;
        auto result = box.unpack(tar, {.allow_device_nodes = false});
        expect_refused(result, "layer entry \"dev/null\": device nodes are not allowed");
        EXPECT_FALSE(path_exists(box.target + "/dev/null"));
    }
    {
        Sandbox box;
        expect_refused(box.unpack(TarBuilder().device("sda", true, 8, 0).finish(),
                                  {.allow_device_nodes = false}),
                       "device nodes are not allowed");
    }
    {
        Sandbox box;
        auto result = box.unpack(tar);
        ASSERT_TRUE(result) << result.error().message();
        auto st = testing::lstat_of(box.target + "/dev/null");
        EXPECT_TRUE(S_ISCHR(st.st_mode));
        EXPECT_EQ(st.st_rdev, makedev(1, 3));
    }
}

TEST(LayerUnpack, BadNamesAreRefused) {
    {
        Sandbox box;
        std::string tar = testing::ustar_header("", '0') + std::string(1024, '\0');
        auto result = box.unpack(tar);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().kind(), ErrorKind::InvalidArgument);
    }
    {
        Sandbox box;
        expect_refused(box.unpack(TarBuilder().file(".", "x").finish()), "replaces the layer root");
    }
    {
        Sandbox box;
        expect_refused(box.unpack(TarBuilder().file("a/.wh...", "").finish()), "invalid whiteout");
    }
}

TEST(LayerUnpack, TheRootEntryIsSkipped) {
    Sandbox box;
    ASSERT_EQ(::chmod(box.target.c_str(), 0711), 0);
    auto result = box.unpack(TarBuilder().dir("./", {.perm = 0700}).file("./a", "a").finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(result->entries, 2u);
    EXPECT_EQ(testing::lstat_of(box.target).st_mode & 07777, 0711u);
    EXPECT_EQ(*read_file(box.target + "/a"), "a");
}

// --- whiteouts ----------------------------------------------------------------------------------

TEST(LayerUnpack, WhiteoutsBecomeOverlayWhiteouts) {
    Sandbox box;
    std::string tar = TarBuilder()
                          .file(".wh.gone", "")
                          .dir("a")
                          .file("a/.wh..wh..opq", "")
                          .file("a/kept", "k")
                          .file("b/c/.wh.deep", "")
                          .file("x/.wh..wh..opq", "")  // opaque dir that has no entry of its own
                          .file(".wh..wh.plnk", "")    // AUFS bookkeeping: ignored
                          .finish();
    auto result = box.unpack(tar, {.allow_device_nodes = false});
    ASSERT_TRUE(result) << result.error().message();
    for (const char* path : {"/gone", "/b/c/deep"}) {
        auto st = testing::lstat_of(box.target + path);
        EXPECT_TRUE(S_ISCHR(st.st_mode)) << path;
        EXPECT_EQ(st.st_rdev, makedev(0, 0)) << path;
    }
    EXPECT_FALSE(path_exists(box.target + "/.wh.gone"));
    EXPECT_FALSE(path_exists(box.target + "/a/.wh..wh..opq"));
    EXPECT_FALSE(path_exists(box.target + "/.wh..wh.plnk"));
    EXPECT_EQ(testing::xattr_of(box.target + "/a", "trusted.overlay.opaque"), "y");
    EXPECT_EQ(testing::xattr_of(box.target + "/x", "trusted.overlay.opaque"), "y");
    EXPECT_EQ(testing::xattr_of(box.target + "/b", "trusted.overlay.opaque"), "");
    EXPECT_EQ(*read_file(box.target + "/a/kept"), "k");
}

TEST(LayerUnpack, WhiteoutReplacesAnEarlierEntryOfTheLayer) {
    Sandbox box;
    auto result = box.unpack(TarBuilder().dir("d").file("d/f", "f").file(".wh.d", "").finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_TRUE(S_ISCHR(testing::lstat_of(box.target + "/d").st_mode));
}

TEST(LayerUnpack, LayerCannotSetOverlayXattrs) {
    Sandbox box;
    auto result = box.unpack(
        TarBuilder()
            .dir("d", {.xattrs = {{"trusted.overlay.redirect", "/etc"}, {"user.ok", "1"}}})
            .finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(testing::xattr_of(box.target + "/d", "trusted.overlay.redirect"), "");
    EXPECT_EQ(testing::xattr_of(box.target + "/d", "user.ok"), "1");
}

// --- metadata -----------------------------------------------------------------------------------

TEST(LayerUnpack, PreservesOwnershipModesTimesXattrsAndLinks) {
    Sandbox box;
    // A file capability (VFS_CAP_REVISION_2, cap_net_bind_service effective+permitted).
    std::string cap(
        "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
    std::string tar =
        TarBuilder()
            .dir("d", {.perm = 0750, .uid = 1000, .gid = 1001, .mtime = 1500000000})
            .file("d/suid", "#!",
                  {.perm = 04755,
                   .uid = 1234,
                   .gid = 5678,
                   .mtime = 1400000000,
                   .mtime_nsec = 123456789})
            .file("d/sgid", "", {.perm = 02711, .uid = 0, .gid = 50})
            .file("d/cap", "bin",
                  {.perm = 0755, .xattrs = {{"security.capability", cap}, {"user.note", "hello"}}})
            .hardlink("d/link", "d/suid")
            .fifo("d/fifo", {.perm = 0620, .uid = 7, .gid = 8, .mtime = 1300000000})
            .symlink("d/sym", "suid", {.uid = 9, .gid = 10, .mtime = 1200000000})
            .dir("tmp", {.perm = 01777})
            .finish();
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();

    auto d = testing::lstat_of(box.target + "/d");
    EXPECT_EQ(d.st_mode & 07777, 0750u);
    EXPECT_EQ(d.st_uid, 1000u);
    EXPECT_EQ(d.st_gid, 1001u);
    // Set after its children were written.
    EXPECT_EQ(d.st_mtim.tv_sec, 1500000000);

    auto suid = testing::lstat_of(box.target + "/d/suid");
    EXPECT_EQ(suid.st_mode & 07777, 04755u);  // chown did not clear setuid
    EXPECT_EQ(suid.st_uid, 1234u);
    EXPECT_EQ(suid.st_gid, 5678u);
    EXPECT_EQ(suid.st_mtim.tv_sec, 1400000000);
    EXPECT_EQ(suid.st_mtim.tv_nsec, 123456789);
    EXPECT_EQ(suid.st_nlink, 2u);
    EXPECT_EQ(testing::lstat_of(box.target + "/d/link").st_ino, suid.st_ino);

    auto sgid = testing::lstat_of(box.target + "/d/sgid");
    EXPECT_EQ(sgid.st_mode & 07777, 02711u);
    EXPECT_EQ(sgid.st_gid, 50u);

    EXPECT_EQ(testing::xattr_of(box.target + "/d/cap", "security.capability"), cap);
    EXPECT_EQ(testing::xattr_of(box.target + "/d/cap", "user.note"), "hello");

    auto fifo = testing::lstat_of(box.target + "/d/fifo");
    EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
    EXPECT_EQ(fifo.st_mode & 07777, 0620u);
    EXPECT_EQ(fifo.st_uid, 7u);
    EXPECT_EQ(fifo.st_mtim.tv_sec, 1300000000);

    auto sym = testing::lstat_of(box.target + "/d/sym");
    EXPECT_TRUE(S_ISLNK(sym.st_mode));
    EXPECT_EQ(sym.st_uid, 9u);
    EXPECT_EQ(sym.st_gid, 10u);
    EXPECT_EQ(sym.st_mtim.tv_sec, 1200000000);

    EXPECT_EQ(testing::lstat_of(box.target + "/tmp").st_mode & 07777, 01777u);
}

TEST(LayerUnpack, DirectoryTimesSurviveChildrenWrittenLater) {
    Sandbox box;
    std::string tar = TarBuilder()
                          .dir("a", {.mtime = 1000})
                          .dir("a/b", {.mtime = 2000})
                          .file("a/b/f", "f")
                          .file("a/g", "g")
                          .file("c/late", "x")
                          .dir("c", {.perm = 0555, .mtime = 3000})  // after its child
                          .file("a/b/h", "h")                       // back into a/b
                          .finish();
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(testing::lstat_of(box.target + "/a").st_mtim.tv_sec, 1000);
    EXPECT_EQ(testing::lstat_of(box.target + "/a/b").st_mtim.tv_sec, 2000);
    EXPECT_EQ(testing::lstat_of(box.target + "/c").st_mtim.tv_sec, 3000);
    EXPECT_EQ(testing::lstat_of(box.target + "/c").st_mode & 07777, 0555u);
    EXPECT_EQ(*read_file(box.target + "/a/b/h"), "h");
}

TEST(LayerUnpack, LaterEntriesReplaceEarlierOnes) {
    Sandbox box;
    std::string tar = TarBuilder()
                          .file("x", "file first")
                          .dir("x", {.perm = 0711})  // file -> dir
                          .file("x/in", "in")
                          .dir("y")
                          .file("y/deep/er", "gone")
                          .file("y", "dir -> file")  // dir tree removed
                          .dir("z", {.perm = 0700, .uid = 1})
                          .file("z/kept", "kept")
                          .dir("z", {.perm = 0755, .uid = 2})  // dir -> dir keeps contents
                          .file("w", "one")
                          .file("w", "two")
                          .finish();
    auto result = box.unpack(tar);
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(testing::lstat_of(box.target + "/x").st_mode & 07777, 0711u);
    EXPECT_EQ(*read_file(box.target + "/x/in"), "in");
    EXPECT_EQ(*read_file(box.target + "/y"), "dir -> file");
    auto z = testing::lstat_of(box.target + "/z");
    EXPECT_EQ(z.st_mode & 07777, 0755u);
    EXPECT_EQ(z.st_uid, 2u);
    EXPECT_EQ(*read_file(box.target + "/z/kept"), "kept");
    EXPECT_EQ(*read_file(box.target + "/w"), "two");
}

TEST(LayerUnpack, WithoutOwnershipFilesBelongToTheCaller) {
    Sandbox box;
    auto result = box.unpack(TarBuilder().file("f", "f", {.uid = 4321, .gid = 4321}).finish(),
                             {.preserve_ownership = false});
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(testing::lstat_of(box.target + "/f").st_uid, ::geteuid());
}

TEST(LayerUnpack, NonAsciiNamesAreKeptByteForByte) {
    Sandbox box;
    std::string utf8 = "caf\xc3\xa9/na\xc3\xafve.txt";
    auto result = box.unpack(TarBuilder().file(utf8, "u").finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*read_file(box.target + "/" + utf8), "u");
}

TEST(LayerUnpack, LongNamesAndLinkTargets) {
    Sandbox box;
    std::string dir(120, 'd');
    std::string name = dir + "/" + std::string(200, 'f');
    std::string target(300, 't');
    auto result = box.unpack(TarBuilder().file(name, "long").symlink("s", target).finish());
    ASSERT_TRUE(result) << result.error().message();
    EXPECT_EQ(*read_file(box.target + "/" + name), "long");
    EXPECT_EQ(testing::read_link(box.target + "/s"), target);
}

}  // namespace
}  // namespace berth::image
