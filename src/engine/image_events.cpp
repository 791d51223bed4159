#include "engine/image_events.h"

namespace berth::engine {

Json image_labels(image::ImageService& images, const std::string& image_id) {
    auto record = images.resolve(image_id);
    if (!record) return Json::object();
    auto config = images.config_of(*record);
    if (!config) return Json::object();
    const Json& raw = config->raw;
    auto it = raw.find("config");
    if (it == raw.end() || !it->is_object()) return Json::object();
    auto labels = it->find("Labels");
    if (labels == it->end() || !labels->is_object()) return Json::object();
    Json strings = Json::object();
    for (auto& [key, value] : labels->items())
        if (value.is_string()) strings[key] = value;
    return strings;
}

void publish_image_event(EventBus& bus, std::string action, const std::string& image_id,
                         const std::string& name, const Json& labels) {
    Event event;
    event.type = "image";
    event.action = std::move(action);
    event.id = image_id;
    event.attributes = labels.is_object() ? labels : Json::object();
    event.attributes["name"] = name;
    bus.publish(std::move(event));
}

void publish_removal_events(EventBus& bus, const std::vector<image::RemovalEvent>& removals,
                            const std::map<std::string, Json>& labels) {
    for (const auto& removal : removals) {
        if (removal.image_id.empty()) continue;  // a layer: docker has no event for it
        bool untag = removal.kind == image::RemovalEvent::Kind::Untagged;
        auto found = labels.find(removal.image_id);
        Json image_labels = untag && found != labels.end() ? found->second : Json(Json::object());
        publish_image_event(bus, untag ? "untag" : "delete", removal.image_id, removal.image_id,
                            image_labels);
    }
}

void publish_prune_event(EventBus& bus, std::string type, uint64_t reclaimed_bytes) {
    Event event;
    event.type = std::move(type);
    event.action = "prune";
    event.attributes = {{"reclaimed", std::to_string(reclaimed_bytes)}};
    bus.publish(std::move(event));
}

}  // namespace berth::engine
