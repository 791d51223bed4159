// One client connection of the API server: HTTP/1.1 with keep-alive, requests routed one after
// another on the calling thread (the server gives each connection a thread of its own).
#pragma once

#include <functional>
#include <string>

#include "api/router.h"
#include "api/tls.h"

namespace berth::api {

struct ConnectionHooks {
    // Called once per request when set: "GET /v1.47/images/json 200 1.3ms".
    std::function<void(const std::string&)> log_request;
    // Called when the connection lets go of its fd (about to close it, or hijacked): the server
    // forgets the fd under its lock, so a concurrent stop() never shuts down a reused number.
    // For a TLS connection that is hijacked, that is once the bridge has finished.
    std::function<void()> releasing;
    // Connections that fail before any request (a TLS handshake): "TLS handshake: …".
    std::function<void(const std::string&)> log_error;
};

// Serves requests on `fd` (a connected stream socket; ownership is taken) until the client
// closes it, asks for Connection: close, a request fails mid-stream, or a handler hijacks it.
// With `tls` set the connection is TLS: handshake first (the client's certificate is verified
// when the context says so), then HTTP inside it.
void serve_connection(int fd, const TlsContext* tls, const Router& router,
                      const ConnectionHooks& hooks);

}  // namespace berth::api
