// A file of preallocated space beside the metadata database that berthd gives up when the disk
// is full, so that the writes which free space (a container's removal, an image's deletion, a
// stop's record) can still be committed: SQLite needs new WAL pages even to delete a row. It is
// made again, whole or not at all, once there is room.
//
// Holds no state of its own: the file on disk is the state, so every connection (and a
// local-mode berth) sees the same reserve.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace berth::store {

class SpaceReserve {
  public:
    // 2 MiB: 512 WAL frames of 4 KiB, where a container's removal writes about ten and an image
    // prune a few per image.
    static constexpr uint64_t kDefaultBytes = 2 << 20;

    explicit SpaceReserve(std::string path, uint64_t bytes = kDefaultBytes)
        : path_(std::move(path)), bytes_(bytes) {}

    const std::string& path() const { return path_; }
    // True when the file is there (its size is not checked: restore() writes it whole).
    bool present() const;
    // Makes the file when it is missing: allocated in full under a temporary name, then renamed,
    // so a file of that name always holds the whole reserve. ENOSPC leaves nothing behind.
    Result<void> restore() const;
    // Deletes the temporary files a kill during restore() left (<path>.XXXXXX).
    void remove_leftovers() const;
    // Deletes the file; true when there was one to free.
    Result<bool> release() const;

  private:
    std::string path_;
    uint64_t bytes_;
};

}  // namespace berth::store
