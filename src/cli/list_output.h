// Printing a list the way docker's list commands do: a default table, `--format table ...`,
// `--format json` (one JSON object per line) or any Go template, one rendered line per row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/json.h"

namespace berth::cli {

struct ListFormat {
    std::string user_format;    // --format as given; empty means the default table
    std::string default_table;  // "table {{.Repository}}\t{{.Tag}}..."
    Json headers;               // {"Repository": "REPOSITORY", ...}
};

Result<std::string> format_list(const std::vector<Json>& rows, const ListFormat& format);

// Renders one object per --format for inspect-like commands; empty format means indented JSON
// of the whole array, as `docker inspect` prints it.
Result<std::string> format_objects(const std::vector<Json>& objects, std::string_view user_format);

}  // namespace berth::cli
