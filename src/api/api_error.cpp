#include "api/api_error.h"

#include "base/json.h"

namespace berth::api {

int http_status(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::NotFound:
            return 404;
        case ErrorKind::InvalidArgument:
            return 400;
        case ErrorKind::AlreadyExists:
        case ErrorKind::Conflict:
            return 409;
        case ErrorKind::PermissionDenied:
            return 403;
        case ErrorKind::Unavailable:
            return 503;
        // dockerd's errdefs.NotImplemented: the request was fine, this engine cannot do it yet.
        case ErrorKind::Unsupported:
            return 501;
        case ErrorKind::Internal:
            return 500;
    }
    return 500;
}

std::string error_body(const std::string& message) {
    // replace: an invalid UTF-8 byte in a path must not turn the error into an exception.
    return Json{{"message", message}}.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace berth::api
