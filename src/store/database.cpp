#include "store/database.h"

#include <sqlite3.h>

#include <utility>

namespace berth::store {
namespace {

Error sqlite_error(sqlite3* db, std::string_view what) {
    ErrorKind kind = ErrorKind::Internal;
    int code = sqlite3_errcode(db) & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) kind = ErrorKind::Unavailable;
    if (code == SQLITE_CONSTRAINT) kind = ErrorKind::Conflict;
    if (code == SQLITE_FULL) kind = ErrorKind::Unavailable;
    return Error(kind, std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}
Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}
Statement::~Statement() {
    sqlite3_finalize(stmt_);
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
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Database db(raw);
    if (rc != SQLITE_OK) {
        std::string message = raw ? sqlite3_errmsg(raw) : "out of memory";
        return fail(ErrorKind::Unavailable, "open metadata database " + path + ": " + message);
    }
    sqlite3_busy_timeout(raw, 30000);
    TRY_CTX(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"),
            "open metadata database " + path);
    return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), durability_(other.durability_) {}
Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        sqlite3_close_v2(db_);
        db_ = std::exchange(other.db_, nullptr);
        durability_ = other.durability_;
    }
    return *this;
}
Database::~Database() {
    sqlite3_close_v2(db_);
}

Result<void> Database::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        std::string detail = message ? message : sqlite3_errstr(rc);
        sqlite3_free(message);
        Error error = sqlite_error(db_, "metadata database");
        return fail(Error(error.kind(), "metadata database: " + detail));
    }
    return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK)
        return std::unexpected(sqlite_error(db_, "prepare \"" + std::string(sql) + "\""));
    return Statement(db_, stmt);
}

int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

Result<void> Database::set_durability(Durability durability) {
    if (durability == durability_) return {};
    TRY(exec(durability == Durability::Flushed ? "PRAGMA synchronous=FULL"
                                               : "PRAGMA synchronous=NORMAL"));
    durability_ = durability;
    return {};
}

Result<void> Database::transaction(const std::function<Result<void>()>& body,
                                   Durability durability) {
    // Outside the transaction: SQLite ignores the setting inside one.
    TRY(set_durability(durability));
    TRY(exec("BEGIN IMMEDIATE"));
    auto result = body();
    if (!result) {
        (void)exec("ROLLBACK");
        return result;
    }
    if (auto committed = exec("COMMIT"); !committed) {
        (void)exec("ROLLBACK");
        return committed;
    }
    return {};
}

}  // namespace berth::store
