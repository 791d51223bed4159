// Base64 with the standard alphabet and padding (RFC 4648 §4): bytes that must travel inside
// JSON, which carries text only. Hand-written rather than OpenSSL's EVP_*Block: the static
// binaries that use it (berth-monitor) would otherwise link libcrypto for this alone.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

std::string base64_encode(std::string_view data);
// Strict: padded to a multiple of 4, no whitespace, nothing after the padding.
Result<std::string> base64_decode(std::string_view text);

}  // namespace berth
