#include "engine/container_store.h"

#include "base/fs.h"

namespace berth::engine {

Result<ContainerStore> ContainerStore::open(const std::string& root) {
    auto db = TRY(store::Database::open(join_path(root, "metadata.db")));
    TRY(db.exec(R"(
        CREATE TABLE IF NOT EXISTS containers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            doc TEXT NOT NULL);
    )"));
    return ContainerStore(std::move(db));
}

Result<void> ContainerStore::insert(const Container& container, Durability durability) {
    return db_.transaction(
        [&]() -> Result<void> {
            auto taken = TRY(db_.prepare("SELECT id FROM containers WHERE name = ?1"));
            taken.bind(1, container.name);
            if (TRY(taken.step()))
                return fail(ErrorKind::Conflict,
                            "Conflict. The container name \"/" + container.name +
                                "\" is already in use by container \"" + taken.text(0) +
                                "\". You have to remove (or rename) that container to be able to "
                                "reuse that name.");
            auto insert =
                TRY(db_.prepare("INSERT INTO containers (id, name, doc) VALUES (?1, ?2, ?3)"));
            insert.bind(1, container.id)
                .bind(2, container.name)
                .bind(3, container_to_document(container).dump());
            return insert.run();
        },
        durability);
}

Result<void> ContainerStore::update(const Container& container, Durability durability,
                                    store::ReserveUse reserve_use) {
    return db_.transaction(
        [&]() -> Result<void> {
            auto update =
                TRY(db_.prepare("UPDATE containers SET name = ?2, doc = ?3 WHERE id = ?1"));
            update.bind(1, container.id)
                .bind(2, container.name)
                .bind(3, container_to_document(container).dump());
            TRY(update.run());
            if (db_.changes() == 0)
                return fail(ErrorKind::NotFound, "No such container: " + container.id);
            return {};
        },
        durability, reserve_use);
}

Result<void> ContainerStore::remove(const std::string& id, Durability durability) {
    return db_.transaction(
        [&]() -> Result<void> {
            auto remove = TRY(db_.prepare("DELETE FROM containers WHERE id = ?1"));
            remove.bind(1, id);
            return remove.run();
        },
        durability, store::ReserveUse::WhenFull);
}

Result<std::vector<Container>> ContainerStore::load_all(const DamagedRecord& damaged) {
    auto query = TRY(db_.prepare("SELECT id, doc FROM containers"));
    std::vector<Container> containers;
    while (TRY(query.step())) {
        auto container = [&]() -> Result<Container> {
            auto doc = TRY(parse_json(query.text(1), "container record"));
            return container_from_document(doc);
        }();
        if (container)
            containers.push_back(std::move(*container));
        else if (damaged)
            damaged(query.text(0), container.error());
    }
    return containers;
}

}  // namespace berth::engine
