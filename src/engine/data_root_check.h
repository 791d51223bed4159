// Before berthd serves from a data root, its metadata.db must be whole and must still hold what
// it recorded. A damaged database (garbage, truncated: SQLite's quick_check) is refused, and so
// is one that is missing, empty or without tables (its -wal lost before a checkpoint) while the
// root still holds containers or image layers: starting over it would hide them, and the next
// prune would delete their files. Only a person can choose between a backup and starting anew,
// so the error is one line naming the file and both ways out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace berth::engine {

// A refusal has errno EUCLEAN; any other error (a lock held elsewhere, an I/O error) means the
// database could not be checked, which a restart may mend.
Result<void> check_data_root(const std::string& root);

// The directories under <root>/containers whose id `recorded` does not know: a create cut short
// by a crash, or records lost with the database's -wal. Named in a warning, left in place.
// berthd --recover-metadata: moves <root>/metadata.db (and its -wal, -shm) aside as
// metadata.db.damaged-<UTC time>, so that a new one is made; returns the new name.
Result<std::string> set_aside_database(const std::string& root);

std::vector<std::string> unrecorded_container_dirs(
    const std::string& root, const std::function<bool(const std::string& id)>& recorded);

}  // namespace berth::engine
