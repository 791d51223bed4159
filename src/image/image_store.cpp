#include "image/image_store.h"

#include <cctype>

namespace berth::image {

Result<ImageStore> ImageStore::open(store::Database& db) {
    TRY(db.exec(R"(
        CREATE TABLE IF NOT EXISTS images (
            id TEXT PRIMARY KEY,
            manifest_digest TEXT NOT NULL,
            manifest_media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            added_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS image_tags (
            name TEXT PRIMARY KEY,
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
        CREATE INDEX IF NOT EXISTS image_tags_by_image ON image_tags(image_id);
        CREATE TABLE IF NOT EXISTS layers (
            chain_id TEXT PRIMARY KEY,
            diff_id TEXT NOT NULL,
            size INTEGER NOT NULL);
    )"));
    return ImageStore(db);
}

Result<std::vector<Digest>> ImageStore::add(const ImageRecord& image,
                                            const std::vector<LayerRecord>& layers,
                                            const std::vector<std::string>& tags) {
    std::vector<Digest> displaced;
    TRY(db_->transaction([&]() -> Result<void> {
        auto insert =
            TRY(db_->prepare("INSERT OR IGNORE INTO images (id, manifest_digest, "
                             "manifest_media_type, size, added_at) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)"));
        insert.bind(1, image.id.str())
            .bind(2, image.manifest_digest.str())
            .bind(3, image.manifest_media_type)
            .bind(4, image.size)
            .bind(5, image.added_at);
        TRY(insert.run());
        for (auto& layer : layers) {
            auto add_layer = TRY(db_->prepare(
                "INSERT OR IGNORE INTO layers (chain_id, diff_id, size) VALUES (?1, ?2, ?3)"));
            add_layer.bind(1, layer.chain_id.str())
                .bind(2, layer.diff_id.str())
                .bind(3, layer.size);
            TRY(add_layer.run());
        }
        for (auto& tag : tags) {
            auto previous = TRY(id_for_tag(tag));
            if (previous && *previous != image.id) displaced.push_back(*previous);
            TRY(set_tag(tag, image.id));
        }
        return {};
    }));
    return displaced;
}

Result<std::vector<std::string>> ImageStore::tags_of(const Digest& id) {
    auto query = TRY(db_->prepare("SELECT name FROM image_tags WHERE image_id = ?1 ORDER BY name"));
    query.bind(1, id.str());
    std::vector<std::string> tags;
    while (TRY(query.step()))
        tags.push_back(query.text(0));
    return tags;
}

Result<ImageRecord> ImageStore::read_row(store::Statement& row) {
    ImageRecord record;
    record.id = TRY_CTX(Digest::parse(row.text(0)), "image store");
    record.manifest_digest = TRY_CTX(Digest::parse(row.text(1)), "image store");
    record.manifest_media_type = row.text(2);
    record.size = row.integer(3);
    record.added_at = row.integer(4);
    record.tags = TRY(tags_of(record.id));
    return record;
}

Result<std::optional<ImageRecord>> ImageStore::find(const Digest& id) {
    auto query =
        TRY(db_->prepare("SELECT id, manifest_digest, manifest_media_type, size, added_at FROM "
                         "images WHERE id = ?1"));
    query.bind(1, id.str());
    if (!TRY(query.step())) return std::optional<ImageRecord>();
    return std::optional<ImageRecord>(TRY(read_row(query)));
}

Result<std::vector<ImageRecord>> ImageStore::list() {
    auto query =
        TRY(db_->prepare("SELECT id, manifest_digest, manifest_media_type, size, added_at FROM "
                         "images ORDER BY added_at DESC, id"));
    std::vector<ImageRecord> out;
    while (TRY(query.step()))
        out.push_back(TRY(read_row(query)));
    return out;
}

Result<std::optional<Digest>> ImageStore::id_for_tag(const std::string& full_name) {
    auto query = TRY(db_->prepare("SELECT image_id FROM image_tags WHERE name = ?1"));
    query.bind(1, full_name);
    if (!TRY(query.step())) return std::optional<Digest>();
    return std::optional<Digest>(TRY(Digest::parse(query.text(0))));
}

Result<std::vector<Digest>> ImageStore::ids_with_prefix(const std::string& hex_prefix) {
    // Hex only, so the LIKE pattern has no wildcards of the user's.
    for (char c : hex_prefix)
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::vector<Digest>();
    auto query = TRY(db_->prepare("SELECT id FROM images WHERE id LIKE ?1"));
    query.bind(1, "sha256:" + hex_prefix + "%");
    std::vector<Digest> out;
    while (TRY(query.step()))
        out.push_back(TRY(Digest::parse(query.text(0))));
    return out;
}

Result<void> ImageStore::set_tag(const std::string& full_name, const Digest& id) {
    auto query =
        TRY(db_->prepare("INSERT INTO image_tags (name, image_id) VALUES (?1, ?2) "
                         "ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id"));
    query.bind(1, full_name).bind(2, id.str());
    return query.run();
}

// Deletions may spend the space reserve: an rmi or prune is how a full disk is cured.
Result<bool> ImageStore::remove_tag(const std::string& full_name) {
    bool removed = false;
    TRY(db_->transaction(
        [&]() -> Result<void> {
            auto query = TRY(db_->prepare("DELETE FROM image_tags WHERE name = ?1"));
            query.bind(1, full_name);
            TRY(query.run());
            removed = db_->changes() > 0;
            return {};
        },
        Durability::Flushed, store::ReserveUse::WhenFull));
    return removed;
}

Result<void> ImageStore::remove(const Digest& id) {
    return db_->transaction(
        [&]() -> Result<void> {
            auto tags = TRY(db_->prepare("DELETE FROM image_tags WHERE image_id = ?1"));
            tags.bind(1, id.str());
            TRY(tags.run());
            auto image = TRY(db_->prepare("DELETE FROM images WHERE id = ?1"));
            image.bind(1, id.str());
            return image.run();
        },
        Durability::Flushed, store::ReserveUse::WhenFull);
}

Result<std::optional<LayerRecord>> ImageStore::layer(const Digest& chain_id) {
    auto query =
        TRY(db_->prepare("SELECT chain_id, diff_id, size FROM layers WHERE chain_id = ?1"));
    query.bind(1, chain_id.str());
    if (!TRY(query.step())) return std::optional<LayerRecord>();
    return std::optional<LayerRecord>(LayerRecord{.chain_id = TRY(Digest::parse(query.text(0))),
                                                  .diff_id = TRY(Digest::parse(query.text(1))),
                                                  .size = query.integer(2)});
}

Result<void> ImageStore::remove_layer(const Digest& chain_id) {
    return db_->transaction(
        [&]() -> Result<void> {
            auto query = TRY(db_->prepare("DELETE FROM layers WHERE chain_id = ?1"));
            query.bind(1, chain_id.str());
            return query.run();
        },
        Durability::Flushed, store::ReserveUse::WhenFull);
}

}  // namespace berth::image
