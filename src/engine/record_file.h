// A container's record kept in its own directory (<root>/containers/<id>/container.json), as
// dockerd keeps config.v2.json: what defines the container (config, names, restart policy, the
// manually stopped flag), so that its record in metadata.db can be rebuilt when the database
// lost it (a -wal lost after a crash, a damaged file). Written atomically at create and with
// every change of what defines it; its run state may lag: the start settles that against the
// monitors and processes it finds (reconcile.cpp).
#pragma once

#include <string>

#include "base/error.h"
#include "base/fs.h"
#include "engine/container.h"

namespace berth::engine {

inline constexpr const char* kRecordFileName = "container.json";

// Writes `container`'s record into `container_dir` (temp file, fsync unless Volatile, rename).
Result<void> write_record_file(const std::string& container_dir, const Container& container,
                               Durability durability);

// The record in `container_dir`; NotFound when there is none, an error naming the file when it
// does not parse or names another container.
Result<Container> read_record_file(const std::string& container_dir, const std::string& id);

}  // namespace berth::engine
