// How an engine error becomes an HTTP response: the kind picks the status as dockerd's errdefs
// do, the message goes out as {"message": "..."} (what the docker CLI prints after "Error: ").
#pragma once

#include <string>

#include "base/error.h"

namespace berth::api {

int http_status(ErrorKind kind);
// {"message":"..."}, the body docker sends with every error status.
std::string error_body(const std::string& message);

}  // namespace berth::api
