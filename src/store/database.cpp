#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <map>
#include <utility>

#include "base/unique_fd.h"

namespace berth::store {
namespace {

std::string file_of(sqlite3* db) {
    const char* name = sqlite3_db_filename(db, "main");
    return name && *name ? name : "(in memory)";
}

Error sqlite_error(sqlite3* db, std::string_view what) {
    ErrorKind kind = ErrorKind::Internal;
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) kind = ErrorKind::Unavailable;
    if (code == SQLITE_CONSTRAINT) kind = ErrorKind::Conflict;
    // EUCLEAN, as file systems report a damaged structure: a caller can tell damage from
    // trouble that may pass (a lock held elsewhere, an I/O error).
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return Error(ErrorKind::Internal,
                     "metadata database " + file_of(db) + " is damaged: " + sqlite3_errmsg(db),
                     EUCLEAN);
    // "database or disk is full" names neither the file nor what to free. berth sets no page
    // limit, so a full database is a full disk (SQLite keeps no errno for a short write); an I/O
    // error has the system call's errno (EDQUOT, EIO).
    if (code == SQLITE_FULL)
        return Error::from_errno("write metadata database " + file_of(db), ENOSPC);
    if (int err = sqlite3_system_errno(db); code == SQLITE_IOERR && err != 0)
        return Error::from_errno("write metadata database " + file_of(db), err);
    return Error(kind, std::string(what) + ": " + sqlite3_errmsg(db));
}

// The database holds every container's configuration, Env (passwords) included: only root may
// read it. SQLite creates it 0644 (less the umask); it gives the -wal and -shm files the
// database's mode, so creating the database 0600 first is enough, and an older berthd's files
// are tightened here too.
Result<void> make_private(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return fail_errno("open metadata database " + path);
    if (::fchmod(fd.get(), 0600) != 0) return fail_errno("chmod metadata database " + path);
    for (const char* suffix : {"-wal", "-shm"}) {
        std::string companion = path + suffix;
        if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT)
            return fail_errno("chmod metadata database " + companion);
    }
    return {};
}

}  // namespace

// The compiled statements of one connection that are not in use, by their SQL text. Shared with
// the Statements out: one that outlives its Database still has somewhere to go (and is finalized
// there, after which sqlite3_close_v2 lets the connection go).
class StatementCache {
  public:
    ~StatementCache() { clear(); }

    sqlite3_stmt* take(std::string_view sql) {
        auto it = idle_.find(sql);
        if (it == idle_.end()) return nullptr;
        sqlite3_stmt* stmt = it->second;
        idle_.erase(it);
        return stmt;
    }
    void give_back(sqlite3_stmt* stmt) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        if (closed_ || !idle_.emplace(sqlite3_sql(stmt), stmt).second) sqlite3_finalize(stmt);
    }
    // The connection closes: what comes back from now on is finalized.
    void clear() {
        closed_ = true;
        for (auto& [sql, stmt] : idle_)
            sqlite3_finalize(stmt);
        idle_.clear();
    }

  private:
    std::map<std::string, sqlite3_stmt*, std::less<>> idle_;
    bool closed_ = false;
};

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), cache_(std::move(other.cache_)) {}
Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
        cache_ = std::move(other.cache_);
    }
    return *this;
}
Statement::~Statement() {
    release();
}
void Statement::release() {
    sqlite3_stmt* stmt = std::exchange(stmt_, nullptr);
    if (!stmt) return;
    if (cache_)
        cache_->give_back(stmt);
    else
        sqlite3_finalize(stmt);
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}
Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}
Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(sqlite_error(db_, sqlite3_sql(stmt_)));
}

Result<void> Statement::run() {
    while (TRY(step())) {
    }
    return {};
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(stmt_, column);
    if (!data) return {};
    return std::string(reinterpret_cast<const char*>(data), sqlite3_column_bytes(stmt_, column));
}
int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
}
bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<Database> Database::open(const std::string& path) {
    TRY(make_private(path));
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Database db(raw, SpaceReserve(path + "-reserve"));
    if (rc != SQLITE_OK) {
        std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
        return fail(ErrorKind::Unavailable, "open metadata database " + path + ": " + message);
    }
    sqlite3_busy_timeout(raw, 30000);
    TRY(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
    // On a full disk it stays missing until a transaction finds room for it.
    db.reserve_.remove_leftovers();
    (void)db.reserve_.restore();
    return db;
}

Database::Database(sqlite3* db, SpaceReserve reserve)
    : db_(db), cache_(std::make_shared<StatementCache>()), reserve_(std::move(reserve)) {}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      cache_(std::move(other.cache_)),
      durability_(other.durability_),
      reserve_(std::move(other.reserve_)) {}
Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        db_ = std::exchange(other.db_, nullptr);
        cache_ = std::move(other.cache_);
        durability_ = other.durability_;
        reserve_ = std::move(other.reserve_);
    }
    return *this;
}
Database::~Database() {
    close();
}
void Database::close() {
    if (cache_) cache_->clear();
    sqlite3_close_v2(std::exchange(db_, nullptr));
}

Result<void> Database::exec(std::string_view sql) {
    std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail(sqlite_error(db_, "metadata database " + file_of(db_)));
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    if (sqlite3_stmt* cached = cache_->take(sql)) return Statement(db_, cached, cache_);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK)
        return std::unexpected(sqlite_error(db_, "prepare \"" + std::string(sql) + "\""));
    return Statement(db_, stmt, cache_);
}

Result<void> Database::run(std::string_view sql) {
    auto statement = TRY(prepare(sql));
    return statement.run();
}

int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

Result<void> Database::set_durability(Durability durability) {
    if (durability == durability_) return {};
    TRY(run(durability == Durability::Flushed ? "PRAGMA synchronous=FULL"
                                              : "PRAGMA synchronous=NORMAL"));
    durability_ = durability;
    return {};
}

Result<void> Database::transaction(const std::function<Result<void>()>& body, Durability durability,
                                   ReserveUse reserve_use) {
    // Outside the transaction: SQLite ignores the setting inside one.
    TRY(set_durability(durability));
    auto result = attempt(body);
    if (!result && result.error().sys_errno() == ENOSPC && reserve_use == ReserveUse::WhenFull &&
        reserve_.release().value_or(false))
        result = attempt(body);
    // Made again once there is room: usually after the files of a removal are gone. One
    // access(2) when it is there.
    if (result) (void)reserve_.restore();
    return result;
}

Result<void> Database::attempt(const std::function<Result<void>()>& body) {
    TRY(run("BEGIN IMMEDIATE"));
    auto result = body();
    if (!result) {
        (void)run("ROLLBACK");
        return result;
    }
    if (auto committed = run("COMMIT"); !committed) {
        (void)run("ROLLBACK");
        return committed;
    }
    return {};
}

}  // namespace berth::store
