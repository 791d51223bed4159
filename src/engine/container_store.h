// The containers table of the metadata database: one row per container, its document as JSON.
// Every change is one transaction; names are unique (the database enforces it, so two creates
// racing for one name cannot both win).
//
// Not thread-safe: the engine serialises calls.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container.h"
#include "store/database.h"

namespace berth::engine {

class ContainerStore {
  public:
    // Opens <root>/metadata.db (shared with the image store) and makes the table.
    static Result<ContainerStore> open(const std::string& root);

    // Conflict when the name is taken (docker's 409 message), AlreadyExists for the id. Each
    // change is flushed to disk before it returns unless it is Volatile (store/database.h).
    Result<void> insert(const Container& container, Durability durability);
    // An update that records space being freed (the removing mark, a stop) may spend the
    // database's space reserve on a full disk; a removal always may.
    Result<void> update(const Container& container, Durability durability,
                        store::ReserveUse reserve_use = store::ReserveUse::Never);
    Result<void> remove(const std::string& id, Durability durability);
    // Every container whose record reads back; a damaged record (hand-edited, garbage) is
    // skipped and told to `damaged` with its id, so that one bad row costs one container.
    using DamagedRecord = std::function<void(const std::string& id, const Error& error)>;
    Result<std::vector<Container>> load_all(const DamagedRecord& damaged = {});

    // To be made again once a removal's files are gone.
    const store::SpaceReserve& reserve() const { return db_.reserve(); }

  private:
    explicit ContainerStore(store::Database db) : db_(std::move(db)) {}
    store::Database db_;
};

}  // namespace berth::engine
