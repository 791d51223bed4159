// Wall-clock timestamps in the form the OCI state, runc's logs and docker use.
#pragma once

#include <string>

namespace berth {

// Now as RFC 3339 in UTC with nanoseconds: "2026-11-28T04:25:27.123456789Z".
std::string rfc3339_now();

}  // namespace berth
