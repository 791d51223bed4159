// Byte sizes as docker's go-units reads and prints them. Two scales: binary (RAMInBytes, for
// memory and tmpfs sizes: "512m" = 512 MiB) and decimal (FromHumanSize, for json-file's
// max-size: "10m" = 10,000,000).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth {

// go-units RAMInBytes: a number ("1", "1.5", "1e3"), an optional space, an optional suffix b, k,
// kb, kib, m…, g…, t…, p… (case-insensitive), binary multiples. Errors as go-units words them:
// "invalid size: '…'", "invalid suffix: '…'".
Result<int64_t> parse_ram_in_bytes(std::string_view text);

// go-units FromHumanSize: the same syntax with decimal multiples ("1k" = "1KiB" = 1000).
Result<int64_t> parse_human_size(std::string_view text);

// go-units HumanSizeWithPrecision(bytes, 3), as docker's lists print sizes: decimal units with
// three significant digits ("0B", "999B", "1kB", "4.26MB", "1.5GB").
std::string human_size(double bytes);

// go-units BytesSize: binary units with four significant digits ("1.5MiB", "7.627GiB").
std::string binary_size(double bytes);

}  // namespace berth
