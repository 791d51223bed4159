// docker's image events (`docker events --filter type=image`), as dockerd publishes them: tag,
// untag, delete, import, load, save and prune. Actor.ID is the image ID; the attributes are the
// image's labels while it exists and "name": the reference for tag, the image ID for the rest
// (dockerd names the ID even for an untag). A prune's event has no ID, only "reclaimed".
// Pull and push have no events yet: berth has no registry client.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"
#include "engine/events.h"
#include "image/image_service.h"

namespace berth::engine {

// The image's labels ({} when it has none or is gone), for the events that name it.
Json image_labels(image::ImageService& images, const std::string& image_id);

void publish_image_event(EventBus& bus, std::string action, const std::string& image_id,
                         const std::string& name, const Json& labels);

// The untag and delete events of an rmi or prune; `labels` holds the images' labels from before
// (a deleted image has none to give).
void publish_removal_events(EventBus& bus, const std::vector<image::RemovalEvent>& removals,
                            const std::map<std::string, Json>& labels);

// The prune event that ends an image or container prune ("image", "container").
void publish_prune_event(EventBus& bus, std::string type, uint64_t reclaimed_bytes);

}  // namespace berth::engine
