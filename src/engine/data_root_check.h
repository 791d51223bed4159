// Before berthd serves from a data root, its metadata.db must be whole and must still hold what
// it recorded. A damaged database (garbage, truncated: SQLite's quick_check) is refused, and so
// is one that is missing, empty or without tables (its -wal lost before a checkpoint) while the
// root still holds containers or image layers: starting over it would hide them, and the next
// prune would delete their files. Only a person can choose between a backup and starting anew,
// so the error is one line naming the file and both ways out.
#pragma once

#include <string>

#include "base/error.h"

namespace berth::engine {

Result<void> check_data_root(const std::string& root);

}  // namespace berth::engine
