#include "base/path_in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/fs.h"
#include "base/test_support.h"

namespace berth {
namespace {

bool exists_nofollow(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    mode_t mode = 0;
    off_t size = 0;
};

FileId id_of_fd(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) return {};
    return {st.st_dev, st.st_ino, st.st_mode, st.st_size};
}

FileId id_of_path(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) return {};
    return {st.st_dev, st.st_ino, st.st_mode, st.st_size};
}

// The fd refers to exactly the file (not following a final symlink) at `host_path`.
::testing::AssertionResult SameFile(const Result<UniqueFd>& fd, const std::string& host_path) {
    if (!fd) return ::testing::AssertionFailure() << "resolution failed: " << fd.error().message();
    struct stat want {};
    if (::lstat(host_path.c_str(), &want) < 0)
        return ::testing::AssertionFailure() << "expected path " << host_path << " does not exist";
    FileId got = id_of_fd(fd->get());
    if (got.dev != want.st_dev || got.ino != want.st_ino)
        return ::testing::AssertionFailure()
               << "fd resolves to dev/ino " << got.dev << "/" << got.ino << ", expected "
               << host_path << " (" << want.st_dev << "/" << want.st_ino << ")";
    return ::testing::AssertionSuccess();
}

void write_text(const std::string& path, std::string_view text) {
    ASSERT_TRUE(write_file(path, text).has_value()) << path;
}

void make_dirs(const std::string& path) {
    ASSERT_TRUE(mkdir_all(path).has_value()) << path;
}

void make_symlink(const std::string& target, const std::string& link) {
    ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0) << link << " -> " << target;
}

// Parameter: true = openat2(RESOLVE_IN_ROOT), false = the component-by-component walk.
class RootResolverTest : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        if (GetParam() && !RootResolver::openat2_available())
            GTEST_SKIP() << "openat2 is not available on this kernel";
        root_fd_.reset(::open(root_.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(root_fd_.valid());
    }

    RootResolver resolver() const { return RootResolver(root_fd_.get(), GetParam()); }
    std::string in_root(std::string_view rel) const { return root_ / rel; }

    TempDir root_;
    UniqueFd root_fd_;
};

TEST_P(RootResolverTest, OpensPlainPaths) {
    make_dirs(in_root("a/b"));
    write_text(in_root("a/b/file"), "hello");
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("a/b/file", O_RDONLY), in_root("a/b/file")));
    EXPECT_TRUE(SameFile(r.open("/a/b/file", O_RDONLY), in_root("a/b/file")));
    EXPECT_TRUE(SameFile(r.open("a/./b//file", O_PATH), in_root("a/b/file")));
    EXPECT_TRUE(SameFile(r.open("a/b", O_PATH | O_DIRECTORY), in_root("a/b")));
    EXPECT_TRUE(SameFile(r.open("a/b/../b/file", O_PATH), in_root("a/b/file")));
    EXPECT_TRUE(SameFile(r.open("/", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open(".", O_PATH), root_.path()));

    // The fd is usable with the flags given.
    auto fd = r.open("a/b/file", O_RDONLY);
    ASSERT_TRUE(fd.has_value());
    char buf[16] = {};
    EXPECT_EQ(::read(fd->get(), buf, sizeof buf), 5);
    EXPECT_STREQ(buf, "hello");
}

TEST_P(RootResolverTest, MissingPathIsNotFound) {
    auto r = resolver().open("no/such/file", O_PATH);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(r.error().sys_errno(), ENOENT);
}

TEST_P(RootResolverTest, FileInTheMiddleIsNotADirectory) {
    write_text(in_root("file"), "x");
    auto r = resolver().open("file/child", O_PATH);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().sys_errno(), ENOTDIR);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
}

TEST_P(RootResolverTest, DotDotCannotClimbAboveRoot) {
    make_dirs(in_root("etc"));
    make_dirs(in_root("a/b"));
    write_text(in_root("etc/passwd"), "root:x:0:0:in-root\n");
    auto r = resolver();

    auto fd = r.open("../../etc/passwd", O_RDONLY);
    EXPECT_TRUE(SameFile(fd, in_root("etc/passwd")));
    if (fd) {
        FileId host = id_of_path("/etc/passwd");
        FileId got = id_of_fd(fd->get());
        EXPECT_FALSE(host.dev == got.dev && host.ino == got.ino) << "escaped to the host's passwd";
    }
    EXPECT_TRUE(SameFile(r.open("/../../../../etc/passwd", O_PATH), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("a/b/../../../../etc/passwd", O_PATH), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("..", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("a/../..", O_PATH), root_.path()));
}

TEST_P(RootResolverTest, AbsoluteSymlinkToSlashStaysInRoot) {
    make_dirs(in_root("etc"));
    write_text(in_root("etc/passwd"), "in-root");
    make_symlink("/", in_root("proc"));
    make_dirs(in_root("usr/lib"));
    make_symlink("/", in_root("usr/lib/rootlink"));
    make_symlink("/etc", in_root("usr/lib/etclink"));
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("proc", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("/proc/etc/passwd", O_RDONLY), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("proc/proc/proc/etc/passwd", O_PATH), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("proc/..", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("usr/lib/rootlink", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("usr/lib/rootlink/etc/passwd", O_PATH), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("usr/lib/etclink/passwd", O_RDONLY), in_root("etc/passwd")));
}

TEST_P(RootResolverTest, RelativeSymlinkUpwardsIsClamped) {
    make_dirs(in_root("etc"));
    make_dirs(in_root("x/y"));
    write_text(in_root("etc/passwd"), "in-root");
    make_symlink("../../..", in_root("a"));
    make_symlink("../../../../../etc", in_root("x/y/up"));
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("a", O_PATH), root_.path()));
    EXPECT_TRUE(SameFile(r.open("a/etc/passwd", O_PATH), in_root("etc/passwd")));
    EXPECT_TRUE(SameFile(r.open("x/y/up", O_PATH), in_root("etc")));
    EXPECT_TRUE(SameFile(r.open("x/y/up/passwd", O_RDONLY), in_root("etc/passwd")));
}

TEST_P(RootResolverTest, FollowsSymlinkChains) {
    make_dirs(in_root("d/e"));
    write_text(in_root("d/e/target"), "t");
    make_symlink("l2", in_root("l1"));
    make_symlink("/l3", in_root("l2"));
    make_symlink("d/./e/../e/target", in_root("l3"));
    make_symlink("d", in_root("dl1"));
    make_symlink("dl1/e", in_root("dl2"));
    make_symlink("../e", in_root("d/e/self"));  // d/e/self -> d/e
    make_symlink("/d/e/target", in_root("d/e/abs"));
    make_symlink("/dl2", in_root("d/e/back"));  // an absolute link back up through a chain
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("l1", O_RDONLY), in_root("d/e/target")));
    EXPECT_TRUE(SameFile(r.open("dl2/target", O_PATH), in_root("d/e/target")));
    EXPECT_TRUE(SameFile(r.open("dl2/self/self/target", O_PATH), in_root("d/e/target")));
    EXPECT_TRUE(SameFile(r.open("d/e/abs", O_PATH), in_root("d/e/target")));
    EXPECT_TRUE(SameFile(r.open("dl2/back/back/abs", O_RDONLY), in_root("d/e/target")));
    // ".." after a symlink is taken from where the link led, as the kernel does.
    EXPECT_TRUE(SameFile(r.open("dl2/..", O_PATH), in_root("d")));
}

TEST_P(RootResolverTest, SymlinkLoopIsEloop) {
    make_symlink("loop2", in_root("loop1"));
    make_symlink("/loop1", in_root("loop2"));
    make_symlink("self", in_root("self"));
    make_symlink("deeper/x", in_root("deeper"));
    auto r = resolver();

    for (const char* path : {"loop1", "loop2/x", "self", "/self/a/b", "deeper"}) {
        SCOPED_TRACE(path);
        auto fd = r.open(path, O_PATH);
        ASSERT_FALSE(fd.has_value());
        EXPECT_EQ(fd.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_EQ(fd.error().sys_errno(), ELOOP);
    }
    auto made = r.ensure("loop1/sub", CreateMode::Directory);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().sys_errno(), ELOOP);
}

TEST_P(RootResolverTest, SymlinkToHostAbsolutePathResolvesInsideRoot) {
    TempDir host("berth-host-target");
    write_text(host / "secret", "host");
    make_dirs(in_root(host.path()));
    write_text(in_root(host.path() + "/secret"), "root");
    make_symlink(host.path() + "/secret", in_root("link"));
    make_symlink(host.path(), in_root("dirlink"));
    make_dirs(in_root("var/lib"));
    make_symlink(host.path() + "/secret", in_root("var/lib/link"));
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("link", O_RDONLY), in_root(host.path() + "/secret")));
    EXPECT_TRUE(SameFile(r.open("dirlink/secret", O_PATH), in_root(host.path() + "/secret")));
    EXPECT_TRUE(SameFile(r.open("var/lib/link", O_RDONLY), in_root(host.path() + "/secret")));

    // Without the in-root copy the link dangles; it must not fall through to the host.
    ASSERT_TRUE(remove_all(in_root(host.path() + "/secret")).has_value());
    auto fd = r.open("link", O_RDONLY);
    ASSERT_FALSE(fd.has_value());
    EXPECT_EQ(fd.error().sys_errno(), ENOENT);
}

TEST_P(RootResolverTest, EnsureDirectoryCreatesMissingComponents) {
    auto r = resolver();
    auto fd = r.ensure("x/y/z", CreateMode::Directory);
    EXPECT_TRUE(SameFile(fd, in_root("x/y/z")));
    EXPECT_TRUE(S_ISDIR(id_of_path(in_root("x/y/z")).mode));
    // An existing path is returned as it is.
    EXPECT_TRUE(SameFile(r.ensure("/x/y/z", CreateMode::Directory), in_root("x/y/z")));
    // ".." is clamped while creating too.
    EXPECT_TRUE(SameFile(r.ensure("../../w", CreateMode::Directory), in_root("w")));
    EXPECT_TRUE(SameFile(r.ensure("x/../../v/u", CreateMode::Directory), in_root("v/u")));
}

TEST_P(RootResolverTest, EnsureDirectoryThroughAbsoluteSymlinkStaysInRoot) {
    // A host directory that exists and a host path that does not (its parent, /tmp, does).
    TempDir host("berth-host-target");
    std::string missing = host.path() + "-missing";
    ASSERT_FALSE(exists_nofollow(missing));
    make_symlink(host.path(), in_root("existing_link"));
    make_symlink(missing, in_root("dangling_link"));
    make_symlink(missing + "/leaf", in_root("dangling_leaf"));
    make_dirs(in_root("sub/dir"));
    make_symlink(missing + "/nested", in_root("sub/dir/dangling"));
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.ensure("existing_link/sub/deeper", CreateMode::Directory),
                         in_root(host.path() + "/sub/deeper")));
    EXPECT_TRUE(
        SameFile(r.ensure("dangling_link/sub", CreateMode::Directory), in_root(missing + "/sub")));
    EXPECT_TRUE(
        SameFile(r.ensure("dangling_leaf", CreateMode::Directory), in_root(missing + "/leaf")));
    EXPECT_TRUE(S_ISDIR(id_of_path(in_root(missing + "/leaf")).mode));
    EXPECT_TRUE(SameFile(r.ensure("sub/dir/dangling/x", CreateMode::Directory),
                         in_root(missing + "/nested/x")));
    EXPECT_FALSE(exists_nofollow(in_root("sub/dir" + missing)));
    // The links themselves are untouched.
    EXPECT_TRUE(S_ISLNK(id_of_path(in_root("dangling_link")).mode));

    // Nothing was created on the host.
    EXPECT_FALSE(exists_nofollow(host / "sub"));
    EXPECT_FALSE(exists_nofollow(missing));
    if (exists_nofollow(missing)) (void)remove_all(missing);
}

TEST_P(RootResolverTest, EnsureFileCreatesEmptyFile) {
    auto r = resolver();
    auto fd = r.ensure("etc/sub/resolv.conf", CreateMode::File, 0644);
    EXPECT_TRUE(SameFile(fd, in_root("etc/sub/resolv.conf")));
    FileId id = id_of_path(in_root("etc/sub/resolv.conf"));
    EXPECT_TRUE(S_ISREG(id.mode));
    EXPECT_EQ(id.size, 0);
    EXPECT_TRUE(S_ISDIR(id_of_path(in_root("etc/sub")).mode));

    // An existing file is kept as it is.
    write_text(in_root("etc/hosts"), "127.0.0.1 localhost\n");
    EXPECT_TRUE(SameFile(r.ensure("etc/hosts", CreateMode::File), in_root("etc/hosts")));
    EXPECT_EQ(id_of_path(in_root("etc/hosts")).size, 20);
}

TEST_P(RootResolverTest, EnsureFileThroughDanglingAbsoluteSymlinkStaysInRoot) {
    TempDir host("berth-host-target");
    std::string missing = host.path() + "-missing";
    make_symlink(missing + "/file", in_root("link"));
    auto r = resolver();

    auto fd = r.ensure("link", CreateMode::File);
    EXPECT_TRUE(SameFile(fd, in_root(missing + "/file")));
    EXPECT_TRUE(S_ISREG(id_of_path(in_root(missing + "/file")).mode));
    EXPECT_FALSE(exists_nofollow(missing));
    if (exists_nofollow(missing)) (void)remove_all(missing);
}

TEST_P(RootResolverTest, NoFollowReturnsTheFinalSymlink) {
    make_dirs(in_root("d"));
    write_text(in_root("d/target"), "t");
    make_symlink("target", in_root("d/link"));
    make_symlink("d", in_root("dirlink"));
    make_symlink("/", in_root("rootlink"));
    auto r = resolver();

    auto fd = r.open("d/link", O_PATH | O_NOFOLLOW);
    EXPECT_TRUE(SameFile(fd, in_root("d/link")));
    if (fd) {
        EXPECT_TRUE(S_ISLNK(id_of_fd(fd->get()).mode));
    }
    // Symlinks before the last component are still followed.
    EXPECT_TRUE(SameFile(r.open("dirlink/link", O_PATH | O_NOFOLLOW), in_root("d/link")));
    EXPECT_TRUE(SameFile(r.open("rootlink", O_PATH | O_NOFOLLOW), in_root("rootlink")));
    // Without O_NOFOLLOW the link is followed.
    EXPECT_TRUE(SameFile(r.open("d/link", O_PATH), in_root("d/target")));
}

// A trailing slash means a directory: the final symlink is followed even with O_NOFOLLOW, and
// a file there is ENOTDIR, as the kernel resolves "link/" (found by fuzz/path_in_root_fuzz.cpp:
// the walk returned the symlink itself).
TEST_P(RootResolverTest, TrailingSlashFollowsTheFinalSymlinkToADirectory) {
    make_dirs(in_root("d"));
    write_text(in_root("file"), "f");
    make_symlink("/", in_root("rootlink"));
    make_symlink("d", in_root("dirlink"));
    make_symlink("file", in_root("filelink"));
    auto r = resolver();

    EXPECT_TRUE(SameFile(r.open("rootlink//", O_PATH | O_NOFOLLOW), root_.path()));
    EXPECT_TRUE(SameFile(r.open("dirlink/", O_PATH | O_NOFOLLOW), in_root("d")));
    EXPECT_TRUE(SameFile(r.open("rootlink/", O_PATH), root_.path()));
    auto file = r.open("filelink/", O_PATH | O_NOFOLLOW);
    ASSERT_FALSE(file.has_value());
    EXPECT_EQ(file.error().sys_errno(), ENOTDIR);
    EXPECT_FALSE(r.open("file/", O_PATH).has_value());
}

// A NUL ends the path for openat2 but not for the walk: such a path (JSON can spell one) is
// refused either way (found by fuzz/path_in_root_fuzz.cpp: the two opened different files).
TEST_P(RootResolverTest, PathsWithANulAreRefused) {
    make_dirs(in_root("d"));
    auto r = resolver();
    using namespace std::string_view_literals;
    for (auto path : {"d\0/../etc"sv, "\0"sv, "d/\0"sv}) {
        auto opened = r.open(path, O_PATH);
        ASSERT_FALSE(opened.has_value());
        EXPECT_EQ(opened.error().kind(), ErrorKind::InvalidArgument);
        EXPECT_FALSE(r.ensure(path, CreateMode::Directory).has_value());
    }
    EXPECT_FALSE(exists_nofollow(in_root("etc")));
}

INSTANTIATE_TEST_SUITE_P(Modes, RootResolverTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                             return info.param ? std::string("Openat2") : std::string("Walk");
                         });

TEST(FdPath, NamesTheFdInProcSelf) {
    EXPECT_EQ(fd_path(7), "/proc/self/fd/7");
    UniqueFd fd(::open("/", O_PATH | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    struct stat via_proc {
    }, direct{};
    ASSERT_EQ(::stat(fd_path(fd.get()).c_str(), &via_proc), 0);
    ASSERT_EQ(::stat("/", &direct), 0);
    EXPECT_EQ(via_proc.st_ino, direct.st_ino);
}

}  // namespace
}  // namespace berth
