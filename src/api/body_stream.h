// Bridges between a streamed HTTP body and engine calls that read or write a file descriptor
// (ImageService::load/import/save): a pipe, with the engine call on a thread of its own, so an
// image tar of any size passes through in pipe-sized pieces and is never held whole.
#pragma once

#include <functional>
#include <string_view>

#include "api/exchange.h"
#include "base/error.h"

namespace berth::api {

// Runs `consumer(read_fd)` on a thread while this one copies the request body into the pipe.
// The consumer's error comes first (it is why the body stopped being taken); then a body error.
Result<void> pipe_request_body(Exchange& exchange,
                               const std::function<Result<void>(int read_fd)>& consumer);

// Runs `producer(write_fd)` on a thread and streams what it writes as a chunked response with
// `content_type`. A producer failing after the first byte drops the connection, so the client
// sees a truncated stream rather than a complete-looking one.
Result<void> stream_response(Exchange& exchange, std::string_view content_type,
                             const std::function<Result<void>(int write_fd)>& producer,
                             const Fields& headers = {});

}  // namespace berth::api
