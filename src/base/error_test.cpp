#include "base/error.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/unique_fd.h"

namespace berth {
namespace {

TEST(Error, KeepsKindMessageAndErrno) {
    Error e(ErrorKind::Conflict, "container is running", EBUSY);
    EXPECT_EQ(e.kind(), ErrorKind::Conflict);
    EXPECT_EQ(e.message(), "container is running");
    EXPECT_EQ(e.sys_errno(), EBUSY);
    EXPECT_EQ(Error(ErrorKind::Internal, "x").sys_errno(), 0);
}

TEST(Error, ContextIsPrependedOutermostFirst) {
    Error e(ErrorKind::NotFound, "no such file or directory", ENOENT);
    e.context("open /etc/passwd").context("read user database");
    EXPECT_EQ(e.message(), "read user database: open /etc/passwd: no such file or directory");
    // Context changes neither the kind nor the errno.
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_EQ(e.sys_errno(), ENOENT);

    Error moved = Error(ErrorKind::Internal, "boom").context("inner").context("outer");
    EXPECT_EQ(moved.message(), "outer: inner: boom");
}

TEST(Error, FromErrnoLowerCasesStrerror) {
    Error e = Error::from_errno("mount proc on /proc", EACCES);
    EXPECT_EQ(e.message(), "mount proc on /proc: permission denied");
    EXPECT_EQ(e.kind(), ErrorKind::PermissionDenied);
    EXPECT_EQ(e.sys_errno(), EACCES);

    EXPECT_EQ(Error::from_errno("open x", ENOENT).message(), "open x: no such file or directory");
    EXPECT_EQ(Error::from_errno("", EPERM).message(), ": operation not permitted");
}

TEST(Error, FromErrnoDefaultsToErrno) {
    errno = EEXIST;
    Error e = Error::from_errno("mkdir /run/berth");
    EXPECT_EQ(e.sys_errno(), EEXIST);
    EXPECT_EQ(e.kind(), ErrorKind::AlreadyExists);
    EXPECT_EQ(e.message(), "mkdir /run/berth: file exists");
}

TEST(Error, ErrnoDecidesTheKind) {
    struct Case {
        int err;
        ErrorKind kind;
    };
    for (auto [err, kind] :
         {Case{ENOENT, ErrorKind::NotFound}, Case{ESRCH, ErrorKind::NotFound},
          Case{EEXIST, ErrorKind::AlreadyExists}, Case{EINVAL, ErrorKind::InvalidArgument},
          Case{ELOOP, ErrorKind::InvalidArgument}, Case{ENOTDIR, ErrorKind::InvalidArgument},
          Case{ENAMETOOLONG, ErrorKind::InvalidArgument}, Case{EPERM, ErrorKind::PermissionDenied},
          Case{EACCES, ErrorKind::PermissionDenied}, Case{EROFS, ErrorKind::PermissionDenied},
          Case{EBUSY, ErrorKind::Conflict}, Case{ENOSYS, ErrorKind::Unsupported},
          Case{EOPNOTSUPP, ErrorKind::Unsupported}, Case{EAGAIN, ErrorKind::Unavailable},
          Case{ENOSPC, ErrorKind::Unavailable}, Case{EIO, ErrorKind::Internal}}) {
        SCOPED_TRACE(err);
        EXPECT_EQ(Error::from_errno("x", err).kind(), kind);
    }
}

TEST(Error, KindNames) {
    EXPECT_EQ(to_string(ErrorKind::NotFound), "not found");
    EXPECT_EQ(to_string(ErrorKind::InvalidArgument), "invalid argument");
    EXPECT_EQ(to_string(ErrorKind::PermissionDenied), "permission denied");
    EXPECT_EQ(to_string(ErrorKind::Internal), "internal");
}

TEST(Error, FailHelpersMakeUnexpected) {
    Result<int> a = fail(ErrorKind::NotFound, "container x does not exist");
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(a.error().message(), "container x does not exist");

    Result<void> b = fail_errno("kill 1", EPERM);
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().message(), "kill 1: operation not permitted");
    EXPECT_EQ(b.error().sys_errno(), EPERM);

    Result<std::string> c = fail(Error(ErrorKind::Conflict, "busy"));
    EXPECT_EQ(c.error().kind(), ErrorKind::Conflict);
}

// Helpers for TRY / TRY_CTX.
Result<int> parse_digit(char c) {
    if (c < '0' || c > '9')
        return fail(ErrorKind::InvalidArgument, std::string("not a digit: ") + c);
    return c - '0';
}

Result<void> check_positive(int n) {
    if (n <= 0) return fail(ErrorKind::InvalidArgument, "must be positive");
    return {};
}

int steps_after_try = 0;

Result<int> add_digits(char a, char b) {
    int x = TRY(parse_digit(a));
    ++steps_after_try;
    int y = TRY(parse_digit(b));
    ++steps_after_try;
    return x + y;
}

Result<int> positive_digit(char c) {
    int x = TRY_CTX(parse_digit(c), "parse first digit");
    TRY_CTX(check_positive(x), "check " + std::to_string(x));
    return x;
}

Result<std::unique_ptr<int>> make_owned(int v) {
    return std::make_unique<int>(v);
}

Result<int> unwrap_owned(int v) {
    std::unique_ptr<int> p = TRY(make_owned(v));  // move-only values come out of TRY
    return *p;
}

Result<UniqueFd> bad_fd() {
    return fail_errno("open /nonexistent", ENOENT);
}

Result<int> use_fd() {
    UniqueFd fd = TRY_CTX(bad_fd(), "load config");
    return fd.get();
}

TEST(Try, PassesValuesThrough) {
    steps_after_try = 0;
    auto r = add_digits('3', '4');
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 7);
    EXPECT_EQ(steps_after_try, 2);
}

TEST(Try, ReturnsTheFirstErrorUnchanged) {
    steps_after_try = 0;
    auto r = add_digits('x', '4');
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "not a digit: x");
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(steps_after_try, 0);  // nothing after the failing TRY ran

    steps_after_try = 0;
    r = add_digits('1', 'y');
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "not a digit: y");
    EXPECT_EQ(steps_after_try, 1);
}

TEST(Try, WorksForVoidAndMoveOnlyResults) {
    EXPECT_EQ(positive_digit('5').value(), 5);
    auto r = unwrap_owned(42);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 42);
}

TEST(TryCtx, AddsContextOnTheWayOut) {
    auto r = positive_digit('z');
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "parse first digit: not a digit: z");

    r = positive_digit('0');
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message(), "check 0: must be positive");

    auto f = use_fd();
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().message(), "load config: open /nonexistent: no such file or directory");
    EXPECT_EQ(f.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(f.error().sys_errno(), ENOENT);
}

}  // namespace
}  // namespace berth
