// OpenSSL's error queue as one line for messages.
#pragma once

#include <string>

namespace berth::tls {

// The reasons OpenSSL queued for the last failure, oldest first, without repeats ("unknown TLS
// error" when none). Empties the queue.
std::string openssl_reasons();

}  // namespace berth::tls
