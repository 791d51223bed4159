#include "views/container_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/json.h"
#include "image/layer_testing.h"

namespace berth::views {
namespace {

using image::testing::lstat_of;
using image::testing::memory_fd;
using image::testing::read_link;
using image::testing::TarBuilder;
using image::testing::TempDir;

struct TarItem {
    std::string name;
    unsigned type = 0;
    std::string content;
    std::string link;  // symlink or hardlink target
    int64_t uid = 0;
    std::string uname, gname;
};

std::vector<TarItem> read_tar(int fd) {
    std::vector<TarItem> items;
    ::lseek(fd, 0, SEEK_SET);
    archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_fd(a, fd, 4096), ARCHIVE_OK);
    archive_entry* e = nullptr;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        TarItem item{archive_entry_pathname(e), archive_entry_filetype(e), "", "",
                     archive_entry_uid(e)};
        if (const char* l = archive_entry_symlink(e)) item.link = l;
        if (const char* l = archive_entry_hardlink(e)) item.link = l;
        if (const char* n = archive_entry_uname(e)) item.uname = n;
        if (const char* n = archive_entry_gname(e)) item.gname = n;
        char buf[4096];
        ssize_t n;
        while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
            item.content.append(buf, size_t(n));
        items.push_back(std::move(item));
    }
    archive_read_free(a);
    return items;
}

std::vector<std::string> names(const std::vector<TarItem>& items) {
    std::vector<std::string> out;
    for (const auto& i : items)
        out.push_back(i.name);
    return out;
}

UniqueFd empty_memfd() {
    return UniqueFd(::memfd_create("tar", MFD_CLOEXEC));
}

std::string base64_decode(std::string_view in) {
    static const std::string kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        acc = (acc << 6) | uint32_t(kAlphabet.find(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((acc >> bits) & 0xff);
        }
    }
    return out;
}

// A container root with some files, and a directory outside it that nothing may touch.
struct Fixture {
    TempDir root, outside;
    Fixture() {
        EXPECT_TRUE(mkdir_all(root / "etc/sub"));
        EXPECT_TRUE(write_file(root / "etc/passwd",
                               "root:x:0:0::/root:/bin/sh\n"
                               "app:x:1000:1001::/app:/bin/sh\n"));
        EXPECT_TRUE(write_file(root / "etc/group", "root:x:0:\nstaff:x:50:\n"));
        EXPECT_TRUE(write_file(root / "etc/sub/f", "sub"));
        EXPECT_TRUE(mkdir_all(root / "dst"));
        EXPECT_EQ(::symlink("/etc/passwd", (root / "link").c_str()), 0);
        EXPECT_EQ(::symlink("../../nowhere/x", (root / "broken").c_str()), 0);
        EXPECT_TRUE(write_file(outside / "secret", "host secret"));
        // Hostile links: absolute and relative ways out of the root.
        EXPECT_EQ(::symlink(outside.path().c_str(), (root / "evil").c_str()), 0);
        EXPECT_EQ(::symlink("../../../../../../../../", (root / "up").c_str()), 0);
        EXPECT_EQ(::symlink(outside.path().c_str(), (root / "etc/sub/out").c_str()), 0);
    }
};

TEST(ContainerArchive, CleanPathKeepsTrailingDotOrSlash) {
    EXPECT_EQ(clean_container_path("etc"), "/etc");
    EXPECT_EQ(clean_container_path("/etc/"), "/etc/");
    EXPECT_EQ(clean_container_path("/etc/."), "/etc/.");
    EXPECT_EQ(clean_container_path("a/../../b/./"), "/b/./");  // as Go keeps it
    EXPECT_EQ(clean_container_path("/../.."), "/");
    EXPECT_EQ(clean_container_path("/"), "/");
}

TEST(ContainerArchive, StatFileDirAndLinks) {
    Fixture f;
    auto file = stat_container_path(f.root.path(), "/etc/passwd");
    ASSERT_TRUE(file) << file.error().message();
    EXPECT_EQ(file->name, "passwd");
    EXPECT_EQ(file->size, int64_t(lstat_of(f.root / "etc/passwd").st_size));
    EXPECT_EQ(file->mode, 0644u);
    EXPECT_TRUE(file->link_target.empty());
    EXPECT_TRUE(file->mtime.ends_with("Z"));

    auto dir = stat_container_path(f.root.path(), "/etc/");
    ASSERT_TRUE(dir) << dir.error().message();
    EXPECT_EQ(dir->name, "etc");
    EXPECT_EQ(dir->mode, (1u << 31) | 0755u);

    auto link = stat_container_path(f.root.path(), "/link");
    ASSERT_TRUE(link) << link.error().message();
    EXPECT_EQ(link->mode & (1u << 27), 1u << 27);
    EXPECT_EQ(link->link_target, "/etc/passwd");
    auto broken = stat_container_path(f.root.path(), "/broken");
    ASSERT_TRUE(broken) << broken.error().message();
    EXPECT_EQ(broken->link_target, "/nowhere/x");  // resolved in the root as far as it goes

    Json decoded = Json::parse(base64_decode(encode_path_stat(*link)));
    EXPECT_EQ(decoded["name"], "link");
    EXPECT_EQ(decoded["linkTarget"], "/etc/passwd");
    EXPECT_EQ(decoded["mode"], link->mode);
    EXPECT_EQ(decoded["size"], link->size);
    EXPECT_EQ(decoded["mtime"], link->mtime);
}

TEST(ContainerArchive, StatNeverLeavesTheRoot) {
    Fixture f;
    ContainerFsView view{.rootfs = f.root.path(), .binds = {}, .container = "web"};
    auto missing = stat_container_path(view, "/nope");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(missing.error().message(), "Could not find the file /nope in container web");
    // Links to the host's directory resolve inside the root, where there is no such file.
    EXPECT_EQ(stat_container_path(view, "/evil/secret").error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(stat_container_path(view, "/up" + f.outside.path() + "/secret").error().kind(),
              ErrorKind::NotFound);
    auto through_up = stat_container_path(view, "/up/etc/passwd");  // ".." stops at the root
    ASSERT_TRUE(through_up) << through_up.error().message();
    auto evil = stat_container_path(view, "/evil");
    ASSERT_TRUE(evil);
    EXPECT_EQ(evil->link_target, f.outside.path());  // a path in the container, not the host
}

TEST(ContainerArchive, ArchiveFileDirAndContents) {
    Fixture f;
    auto fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(f.root.path(), "/etc/passwd", fd.get()));
    auto items = read_tar(fd.get());
    ASSERT_EQ(names(items), (std::vector<std::string>{"passwd"}));
    EXPECT_EQ(items[0].content.substr(0, 4), "root");

    fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(f.root.path(), "etc", fd.get()));
    EXPECT_EQ(names(read_tar(fd.get())),
              (std::vector<std::string>{"etc/", "etc/group", "etc/passwd", "etc/sub/", "etc/sub/f",
                                        "etc/sub/out"}));

    fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(f.root.path(), "/etc/sub/.", fd.get()));
    items = read_tar(fd.get());
    EXPECT_EQ(names(items), (std::vector<std::string>{"./", "./f", "./out"}));
    // The link out is archived as a link, never followed.
    EXPECT_EQ(items[2].type, unsigned(AE_IFLNK));
    EXPECT_EQ(items[2].link, f.outside.path());

    fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(f.root.path(), "/link", fd.get()));
    items = read_tar(fd.get());
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].type, unsigned(AE_IFLNK));
}

TEST(ContainerArchive, ArchiveNeverReadsOutsideTheRoot) {
    Fixture f;
    ASSERT_TRUE(mkdir_all(f.root / f.outside.path()));
    ASSERT_TRUE(write_file(f.root / (f.outside.path() + "/secret"), "decoy in the root"));
    for (std::string path :
         std::vector<std::string>{"/evil/", "/evil/.", "/evil/secret", "/up/" + f.outside.path()}) {
        auto fd = empty_memfd();
        auto written = write_container_archive(f.root.path(), path, fd.get());
        ASSERT_TRUE(written) << path << ": " << written.error().message();
        for (const auto& item : read_tar(fd.get()))
            EXPECT_NE(item.content, "host secret") << path;
    }
    auto fd = empty_memfd();
    auto missing = write_container_archive(f.root.path(), "/evil/none", fd.get());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
}

TEST(ContainerArchive, ExtractKeepsOwnersAndDecompresses) {
    Fixture f;
    image::testing::EntrySpec owned;
    owned.uid = 1234;
    owned.gid = 5678;
    std::string tar = TarBuilder()
                          .dir("d", owned)
                          .file("d/a", "hello", owned)
                          .symlink("d/l", "a")
                          .hardlink("d/h", "d/a")
                          .finish();
    auto in = memory_fd(image::testing::gzip(tar));
    auto done = extract_into_container(f.root.path(), "/dst", in.get(), false, false);
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(read_file(f.root / "dst/d/a").value_or(""), "hello");
    EXPECT_EQ(lstat_of(f.root / "dst/d/a").st_uid, 1234u);
    EXPECT_EQ(lstat_of(f.root / "dst/d").st_gid, 5678u);
    EXPECT_EQ(read_link(f.root / "dst/d/l"), "a");
    EXPECT_EQ(lstat_of(f.root / "dst/d/h").st_ino, lstat_of(f.root / "dst/d/a").st_ino);
}

TEST(ContainerArchive, ExtractCopyUidGidTakesTheContainerUser) {
    Fixture f;
    std::string tar = TarBuilder().file("x", "x").finish();
    auto in = memory_fd(tar);
    ASSERT_TRUE(extract_into_container(f.root.path(), "/dst", in.get(), false, true, "app"));
    EXPECT_EQ(lstat_of(f.root / "dst/x").st_uid, 1000u);
    EXPECT_EQ(lstat_of(f.root / "dst/x").st_gid, 1001u);
    in = memory_fd(tar);
    ASSERT_TRUE(extract_into_container(f.root.path(), "/dst", in.get(), false, true, "42:staff"));
    EXPECT_EQ(lstat_of(f.root / "dst/x").st_uid, 42u);
    EXPECT_EQ(lstat_of(f.root / "dst/x").st_gid, 50u);
    in = memory_fd(tar);
    auto bad = extract_into_container(f.root.path(), "/dst", in.get(), false, true, "nobody");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind(), ErrorKind::InvalidArgument);
}

// A container makes /etc/passwd a FIFO (the read hung for ever) or /dev/zero (it grew without
// end): docker cp -a must neither hang nor read it, and say the user is not there.
TEST(ContainerArchive, CopyUidGidNeverReadsAPasswdThatIsNotAFile) {
    Fixture f;
    std::string tar = TarBuilder().file("x", "x").finish();
    ASSERT_EQ(::unlink((f.root / "etc/passwd").c_str()), 0);
    ASSERT_EQ(::mkfifo((f.root / "etc/passwd").c_str(), 0644), 0);
    auto in = memory_fd(tar);
    auto fifo = extract_into_container(f.root.path(), "/dst", in.get(), false, true, "app");
    ASSERT_FALSE(fifo);
    EXPECT_NE(fifo.error().message().find("no matching entries in passwd file"), std::string::npos);
    in = memory_fd(tar);
    ASSERT_TRUE(extract_into_container(f.root.path(), "/dst", in.get(), false, true, "42"));
    EXPECT_EQ(lstat_of(f.root / "dst/x").st_uid, 42u);
    if (::geteuid() != 0) GTEST_SKIP() << "mknod needs root";
    ASSERT_EQ(::unlink((f.root / "etc/passwd").c_str()), 0);
    ASSERT_EQ(::mknod((f.root / "etc/passwd").c_str(), S_IFCHR | 0644, makedev(1, 5)), 0);
    in = memory_fd(tar);
    auto zero = extract_into_container(f.root.path(), "/dst", in.get(), false, true, "app");
    ASSERT_FALSE(zero);
    EXPECT_NE(zero.error().message().find("no matching entries in passwd file"), std::string::npos);
}

TEST(ContainerArchive, ArchiveNamesOwnersFromTheContainersFiles) {
    Fixture f;
    ASSERT_EQ(::chown((f.root / "etc/sub/f").c_str(), 1000, 50), 0);
    ASSERT_EQ(::chown((f.root / "etc/sub").c_str(), 4321, 4321), 0);
    auto fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(f.root.path(), "/etc/sub", fd.get()));
    auto items = read_tar(fd.get());
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[1].name, "sub/f");
    EXPECT_EQ(items[1].uname, "app");
    EXPECT_EQ(items[1].gname, "staff");
    EXPECT_EQ(items[0].uname, "");  // no entry for 4321: no name, as docker
    EXPECT_EQ(items[0].gname, "");
}

// Xattrs of symlinks and devices cannot go through an fd of their own; TreeWriter reaches them
// through /proc, which in the chroot is the container's directory of that name.
TEST(ContainerArchive, XattrsOnSymlinksAndDevicesAreSet) {
    if (::geteuid() != 0) GTEST_SKIP() << "trusted.* xattrs need root";
    Fixture f;
    image::testing::EntrySpec with_xattr;
    with_xattr.xattrs = {{"trusted.berth", "yes"}};
    std::string tar = TarBuilder()
                          .symlink("l", "nowhere", with_xattr)
                          .device("null", false, 1, 3, with_xattr)
                          .finish();
    // What a container could plant at its /proc, where a path through /proc/self/fd would go.
    ASSERT_TRUE(mkdir_all(f.root / "proc/self/fd"));
    auto in = memory_fd(tar);
    auto done = extract_into_container(f.root.path(), "/dst", in.get(), false, false);
    ASSERT_TRUE(done) << done.error().message();
    EXPECT_EQ(image::testing::xattr_of(f.root / "dst/l", "trusted.berth"), "yes");
    EXPECT_EQ(image::testing::xattr_of(f.root / "dst/null", "trusted.berth"), "yes");
    EXPECT_EQ(read_link(f.root / "dst/l"), "nowhere");  // set on the link, not followed
}

TEST(ContainerArchive, ExtractDestinationErrors) {
    Fixture f;
    std::string tar = TarBuilder().file("x", "x").finish();
    auto in = memory_fd(tar);
    auto missing = extract_into_container(f.root.path(), "/none", in.get(), false, false);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind(), ErrorKind::NotFound);
    auto file = extract_into_container(f.root.path(), "/etc/passwd", in.get(), false, false);
    ASSERT_FALSE(file);
    EXPECT_EQ(file.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(file.error().message(), "extraction point is not a directory");
    // A destination linking to the host's directory resolves inside the root: not there.
    auto evil = extract_into_container(f.root.path(), "/evil", in.get(), false, false);
    ASSERT_FALSE(evil);
    EXPECT_EQ(evil.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(image::testing::list_dir(f.outside.path()), (std::vector<std::string>{"secret"}));
}

TEST(ContainerArchive, ExtractNeverWritesOutsideTheRoot) {
    Fixture f;
    std::string escape = TarBuilder().file("../../escaped", "x").finish();
    auto in = memory_fd(escape);
    EXPECT_FALSE(extract_into_container(f.root.path(), "/dst", in.get(), false, false));

    // A link planted by the tar, then written through; and one the container planted.
    std::string through = TarBuilder()
                              .symlink("out", f.outside.path())
                              .file("out/pwned", "x")
                              .symlink("rel", "../../../../../../..")
                              .file("rel" + f.outside.path() + "/pwned2", "x")
                              .file("sub/out/pwned3", "x")
                              .finish();
    in = memory_fd(through);
    auto done = extract_into_container(f.root.path(), "/etc", in.get(), false, false);
    // Each link resolves inside the destination, as if it were "/": the files land there.
    ASSERT_TRUE(done) << done.error().message();
    for (const char* name : {"pwned", "pwned2", "pwned3"})
        EXPECT_TRUE(S_ISREG(lstat_of(f.root / ("etc" + f.outside.path() + "/" + name)).st_mode))
            << name;
    EXPECT_EQ(image::testing::list_dir(f.outside.path()), (std::vector<std::string>{"secret"}));
    EXPECT_EQ(read_file(f.outside / "secret").value_or(""), "host secret");
}

TEST(ContainerArchive, NoOverwriteDirNonDir) {
    Fixture f;
    ASSERT_TRUE(mkdir_all(f.root / "dst/x"));
    std::string tar = TarBuilder().file("x", "file").finish();
    auto in = memory_fd(tar);
    auto refused = extract_into_container(f.root.path(), "/dst", in.get(), true, false);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message().find("cannot overwrite directory"), std::string::npos);
    EXPECT_TRUE(S_ISDIR(lstat_of(f.root / "dst/x").st_mode));
    in = memory_fd(tar);
    ASSERT_TRUE(extract_into_container(f.root.path(), "/dst", in.get(), false, false));
    EXPECT_TRUE(S_ISREG(lstat_of(f.root / "dst/x").st_mode));
}

TEST(ContainerArchive, ExportWholeRoot) {
    Fixture f;
    auto fd = empty_memfd();
    ASSERT_TRUE(export_container(f.root.path(), fd.get()));
    auto items = read_tar(fd.get());
    EXPECT_EQ(names(items), (std::vector<std::string>{"broken", "dst/", "etc/", "etc/group",
                                                      "etc/passwd", "etc/sub/", "etc/sub/f",
                                                      "etc/sub/out", "evil", "link", "up"}));
    for (const auto& item : items)
        EXPECT_NE(item.content, "host secret");
}

TEST(ContainerArchive, BindMountsAreSeen) {
    Fixture f;
    TempDir source, ro_source;
    ASSERT_TRUE(write_file(source / "data", "from the host"));
    ASSERT_TRUE(mkdir_all(f.root / "mnt/vol"));
    ASSERT_TRUE(mkdir_all(f.root / "mnt/ro"));
    ContainerFsView view{.rootfs = f.root.path(),
                         .binds = {{source.path(), "/mnt/vol", false},
                                   {ro_source.path(), "/mnt/ro", true},
                                   {source.path(), "/not/there", false}},
                         .container = "c"};
    auto stat = stat_container_path(view, "/mnt/vol/data");
    ASSERT_TRUE(stat) << stat.error().message();
    EXPECT_EQ(stat->size, 13);

    auto fd = empty_memfd();
    ASSERT_TRUE(write_container_archive(view, "/mnt/vol", fd.get()));
    auto items = read_tar(fd.get());
    ASSERT_EQ(names(items), (std::vector<std::string>{"vol/", "vol/data"}));
    EXPECT_EQ(items[1].content, "from the host");

    auto in = memory_fd(TarBuilder().file("new", "n").finish());
    ASSERT_TRUE(extract_into_container(view, "/mnt/vol", in.get(), {}));
    EXPECT_EQ(read_file(source / "new").value_or(""), "n");
    in = memory_fd(TarBuilder().file("new", "n").finish());
    EXPECT_FALSE(extract_into_container(view, "/mnt/ro", in.get(), {}));
    EXPECT_TRUE(image::testing::list_dir(ro_source.path()).empty());
    // Nothing stays mounted on the host.
    EXPECT_TRUE(image::testing::list_dir(f.root / "mnt/vol").empty());
}

}  // namespace
}  // namespace berth::views
