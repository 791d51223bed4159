// Errors as values: every fallible function returns Result<T>.
//
// An Error carries a kind (which decides CLI exit codes and HTTP status codes), the errno
// and syscall where there is one, and a human message built up as context is added on the way out:
//   "mount proc on /proc: permission denied".
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace berth {

enum class ErrorKind {
    Internal,
    NotFound,
    AlreadyExists,
    InvalidArgument,
    Conflict,
    PermissionDenied,
    Unavailable,
    Unsupported,
};

std::string_view to_string(ErrorKind kind);

class Error {
  public:
    Error(ErrorKind kind, std::string message, int sys_errno = 0)
        : kind_(kind), errno_(sys_errno), message_(std::move(message)) {}

    // An error from a failed system call: the message becomes "<what>: <strerror(err)>".
    static Error from_errno(std::string_view what, int err = errno);

    ErrorKind kind() const { return kind_; }
    int sys_errno() const { return errno_; }
    const std::string& message() const { return message_; }

    // Prepends context: Error("permission denied").context("mount proc") -> "mount proc: ...".
    Error&& context(std::string_view what) &&;
    Error& context(std::string_view what) &;

  private:
    ErrorKind kind_;
    int errno_;
    std::string message_;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning an error: return fail(ErrorKind::NotFound, "container x does not exist");
inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return std::unexpected(Error(kind, std::move(message)));
}
inline std::unexpected<Error> fail(Error error) {
    return std::unexpected(std::move(error));
}
inline std::unexpected<Error> fail_errno(std::string_view what, int err = errno) {
    return std::unexpected(Error::from_errno(what, err));
}

// The value of a Result, or return its error from the enclosing function (GNU statement
// expression; g++ and clang both accept it).
#define TRY(expr)                                                                 \
    ({                                                                            \
        auto&& try_result_ = (expr);                                              \
        if (!try_result_) return std::unexpected(std::move(try_result_).error()); \
        std::move(try_result_).value();                                           \
    })

// Like TRY, adding context to the error on the way out.
#define TRY_CTX(expr, ctx)                                                                     \
    ({                                                                                         \
        auto&& try_result_ = (expr);                                                           \
        if (!try_result_) return std::unexpected(std::move(try_result_).error().context(ctx)); \
        std::move(try_result_).value();                                                        \
    })

}  // namespace berth
