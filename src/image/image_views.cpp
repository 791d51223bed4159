// The Docker Engine API's views of an image: the list item and the history.
#include "base/clock.h"
#include "image/image_service.h"

namespace berth::image {

Result<Json> ImageService::summary(const ImageRecord& image) {
    ImageConfig config = TRY(config_of(image));
    Json out = Json::object();
    out["Id"] = image.id.str();
    out["ParentId"] = "";
    out["RepoTags"] = Json::array();
    for (auto& tag : image.tags)
        out["RepoTags"].push_back(familiar_tag(tag));
    out["RepoDigests"] = Json::array();
    out["Created"] = parse_rfc3339(config.created).value_or(0);
    out["Size"] = image.size;
    out["SharedSize"] = -1;
    const Json& container_config =
        config.raw.contains("config") ? config.raw["config"] : Json::object();
    out["Labels"] = container_config.contains("Labels") && container_config["Labels"].is_object()
                        ? container_config["Labels"]
                        : Json::object();
    out["Containers"] = -1;
    return out;
}

Result<Json> ImageService::history(std::string_view name) {
    ImageRecord image = TRY(resolve(name));
    ImageConfig config = TRY(config_of(image));
    auto chain = chain_ids(config.diff_ids);
    std::vector<int64_t> sizes;
    {
        std::lock_guard lock(db_mutex_);
        for (auto& id : chain) {
            auto record = TRY(images_->layer(id));
            sizes.push_back(record ? record->size : 0);
        }
    }
    std::vector<HistoryEntry> entries = config.history;
    // Images without history still have layers: one line per layer, as docker shows them.
    if (entries.empty())
        for (size_t i = 0; i < chain.size(); ++i)
            entries.push_back({.created = config.created});
    Json out = Json::array();
    size_t layer = 0;
    std::vector<Json> rows;
    for (auto& entry : entries) {
        Json row = {{"Id", "<missing>"},
                    {"Created", parse_rfc3339(entry.created).value_or(0)},
                    {"CreatedBy", entry.created_by},
                    {"Tags", nullptr},
                    {"Size", 0},
                    {"Comment", entry.comment}};
        if (!entry.empty_layer && layer < sizes.size()) row["Size"] = sizes[layer++];
        rows.push_back(row);
    }
    if (!rows.empty()) {
        rows.back()["Id"] = image.id.str();
        Json tags = Json::array();
        for (auto& tag : image.tags)
            tags.push_back(familiar_tag(tag));
        if (!tags.empty()) rows.back()["Tags"] = tags;
    }
    for (auto it = rows.rbegin(); it != rows.rend(); ++it)
        out.push_back(*it);
    return out;
}

}  // namespace berth::image
