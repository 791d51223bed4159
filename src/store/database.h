// A thin RAII layer over SQLite for the engine's metadata (images, containers, later networks and
// volumes). One file, WAL journal: every change is one transaction, so a crash at any point leaves
// either the old or the new state. A Flushed transaction is on disk when it returns
// (synchronous=FULL); a Volatile one (synchronous=NORMAL) survives the process being killed but
// may be rolled back by a power cut or kernel crash, for state that such a crash makes moot
// anyway (whether a container runs). Several processes (berthd, a local-mode berth) may open the
// same file; writers wait for each other (busy timeout) instead of failing.
//
// A full disk: a transaction that frees space (ReserveUse::WhenFull) and fails for want of room
// deletes the space reserve beside the file (space_reserve.h) and runs once more; the reserve is
// made again after a later transaction, once there is room. Transactions that add are refused on
// a full disk as before: the reserve is kept for the removals that cure it.
//
// A Database is used by one thread at a time; open one per thread if needed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fs.h"  // Durability
#include "store/space_reserve.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::store {

class StatementCache;

// Whether a transaction may spend the space reserve when the disk is full.
enum class ReserveUse { Never, WhenFull };

class Statement {
  public:
    Statement(Statement&&) noexcept;
    Statement& operator=(Statement&&) noexcept;
    ~Statement();

    // Parameters are numbered from 1, as in SQL "?1".
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, int64_t value);
    Statement& bind_null(int index);

    // Advances to the next row: true while there is one, false when done.
    Result<bool> step();
    // Runs a statement that returns no rows.
    Result<void> run();

    std::string text(int column) const;
    int64_t integer(int column) const;
    bool is_null(int column) const;

  private:
    friend class Database;
    Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<StatementCache> cache)
        : db_(db), stmt_(stmt), cache_(std::move(cache)) {}
    void release();
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::shared_ptr<StatementCache> cache_;  // where the statement goes back to when done
};

class Database {
  public:
    // Opens (creating if needed) the database file.
    static Result<Database> open(const std::string& path);
    Database(Database&&) noexcept;
    Database& operator=(Database&&) noexcept;
    ~Database();

    // Runs one or more statements, compiled each time (schema changes, pragmas).
    Result<void> exec(std::string_view sql);
    // One statement, compiled once per connection: a Statement goes back to the connection's
    // cache when it is destroyed, and the next prepare() of the same text reuses it.
    Result<Statement> prepare(std::string_view sql);
    int64_t changes() const;

    // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; an error from the body rolls back. With
    // ReserveUse::WhenFull, a failure for want of room releases the reserve and runs `body`
    // once more (so `body` must be safe to run twice).
    Result<void> transaction(const std::function<Result<void>()>& body,
                             Durability durability = Durability::Flushed,
                             ReserveUse reserve_use = ReserveUse::Never);

    // <database>-reserve
    const SpaceReserve& reserve() const { return reserve_; }

  private:
    Database(sqlite3* db, SpaceReserve reserve);
    void close();
    Result<void> attempt(const std::function<Result<void>()>& body);
    Result<void> set_durability(Durability durability);
    Result<void> run(std::string_view sql);  // one statement without rows, from the cache
    sqlite3* db_ = nullptr;
    std::shared_ptr<StatementCache> cache_;
    Durability durability_ = Durability::Flushed;  // the connection's synchronous setting
    SpaceReserve reserve_;
};

}  // namespace berth::store
