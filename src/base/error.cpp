#include "base/error.h"

#include <cstring>

namespace berth {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Internal:
            return "internal";
        case ErrorKind::NotFound:
            return "not found";
        case ErrorKind::AlreadyExists:
            return "already exists";
        case ErrorKind::InvalidArgument:
            return "invalid argument";
        case ErrorKind::Conflict:
            return "conflict";
        case ErrorKind::PermissionDenied:
            return "permission denied";
        case ErrorKind::Unavailable:
            return "unavailable";
        case ErrorKind::Unsupported:
            return "unsupported";
    }
    return "unknown";
}

static ErrorKind kind_of_errno(int err) {
    switch (err) {
        case ENOENT:
        case ESRCH:
            return ErrorKind::NotFound;
        case EEXIST:
            return ErrorKind::AlreadyExists;
        case EINVAL:
        case ENAMETOOLONG:
        case ELOOP:
        case ENOTDIR:
            return ErrorKind::InvalidArgument;
        case EPERM:
        case EACCES:
        case EROFS:
            return ErrorKind::PermissionDenied;
        case EBUSY:
            return ErrorKind::Conflict;
        case ENOSYS:
        case EOPNOTSUPP:
            return ErrorKind::Unsupported;
        case EAGAIN:
        case ENOSPC:
            return ErrorKind::Unavailable;
        default:
            return ErrorKind::Internal;
    }
}

Error Error::from_errno(std::string_view what, int err) {
    std::string message(what);
    message += ": ";
    message += std::strerror(err);
    // strerror capitalises the first letter ("Permission denied"); runc and docker print lower
    // case.
    auto pos = message.size() - std::strlen(std::strerror(err));
    if (pos < message.size() && message[pos] >= 'A' && message[pos] <= 'Z')
        message[pos] += 'a' - 'A';
    return Error(kind_of_errno(err), std::move(message), err);
}

Error& Error::context(std::string_view what) & {
    std::string combined(what);
    combined += ": ";
    combined += message_;
    message_ = std::move(combined);
    return *this;
}

Error&& Error::context(std::string_view what) && {
    return std::move(context(what));
}

}  // namespace berth
