#include "engine/data_root_check.h"

#include <filesystem>

#include "base/fs.h"
#include "store/database.h"

namespace berth::engine {
namespace {

std::vector<std::string> entries_of(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;  // a directory that is not there has no entries
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        names.push_back(entry.path().filename().string());
    return names;
}

size_t count_entries(const std::string& dir) {
    return entries_of(dir).size();
}

// What the root holds that only the database describes; empty when nothing.
std::string held_data(const std::string& root) {
    size_t containers = count_entries(join_path(root, "containers"));
    size_t layers = count_entries(join_path(root, "snapshots/layers"));
    if (containers == 0 && layers == 0) return "";
    return std::to_string(containers) + " container director" + (containers == 1 ? "y" : "ies") +
           " and " + std::to_string(layers) + " image layer" + (layers == 1 ? "" : "s");
}

Result<bool> has_tables(store::Database& db) {
    auto query = TRY(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
    TRY(query.step());
    return query.integer(0) > 0;
}

Result<void> quick_check(store::Database& db, const std::string& path) {
    auto query = TRY(db.prepare("PRAGMA quick_check(1)"));
    if (!TRY(query.step())) return {};
    std::string verdict = query.text(0);
    if (verdict == "ok") return {};
    return fail(Error(ErrorKind::Internal, "metadata database " + path + " is damaged: " + verdict,
                      EUCLEAN));
}

Result<void> check_database(const std::string& path, const std::string& held) {
    if (!path_exists(path)) {
        if (held.empty()) return {};  // a new data root
        return fail(ErrorKind::NotFound, "metadata database " + path + " is missing");
    }
    auto db = TRY(store::Database::open(path));
    if (!held.empty() && !TRY(has_tables(db)))
        return fail(ErrorKind::NotFound,
                    "metadata database " + path + " records nothing (empty, or its -wal lost)");
    return quick_check(db, path);
}

}  // namespace

Result<void> check_data_root(const std::string& root) {
    std::string held = held_data(root);
    auto checked = check_database(join_path(root, "metadata.db"), held);
    if (checked) return {};
    const Error& error = checked.error();
    // Missing or empty (NotFound) or damaged (EUCLEAN): a person must choose. Anything else (a
    // lock held elsewhere, an I/O error) is returned as it is: a restart may mend it.
    if (error.kind() != ErrorKind::NotFound && error.sys_errno() != EUCLEAN) return checked;
    std::string message = error.message();
    if (!held.empty()) message += ", yet " + root + " holds " + held;
    message +=
        ": berthd does not start over it; restore it from a backup, start berthd with "
        "--recover-metadata to rebuild it from the files, or move " +
        root + " aside to start anew";
    return fail(Error(ErrorKind::Internal, std::move(message), EUCLEAN));
}

std::vector<std::string> unrecorded_container_dirs(
    const std::string& root, const std::function<bool(const std::string& id)>& recorded) {
    std::string containers = join_path(root, "containers");
    std::vector<std::string> unrecorded;
    for (const auto& name : entries_of(containers))
        if (!recorded(name)) unrecorded.push_back(join_path(containers, name));
    return unrecorded;
}

Result<std::string> set_aside_database(const std::string& root) {
    std::string db = join_path(root, "metadata.db");
    char stamp[32];
    time_t now = ::time(nullptr);
    tm utc{};
    ::gmtime_r(&now, &utc);
    ::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
    std::string aside = db + ".damaged-" + stamp;
    // The -wal and -shm go along: SQLite would otherwise apply them to the new database.
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::string from = db + suffix, to = aside + suffix;
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT)
            return fail_errno("move " + from + " aside");
    }
    return aside;
}

}  // namespace berth::engine
