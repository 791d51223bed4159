#include "engine/events.h"

#include <chrono>

namespace berth::engine {

int64_t now_nano() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Json event_json(const Event& e) {
    Json doc = Json::object();
    // The fields of old clients: "from" only for containers, "id" only when there is one (a
    // prune's event has none).
    doc["status"] = e.action;
    if (!e.id.empty()) doc["id"] = e.id;
    if (e.type == "container" && e.attributes.contains("image"))
        doc["from"] = e.attributes["image"];
    doc["Type"] = e.type;
    doc["Action"] = e.action;
    doc["Actor"] = {{"ID", e.id}, {"Attributes", e.attributes}};
    doc["scope"] = "local";
    doc["time"] = e.time_nano / 1000000000;
    doc["timeNano"] = e.time_nano;
    return doc;
}

std::optional<Event> EventBus::Subscription::next(int64_t deadline_nano) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!queue_.empty()) {
            Event e = std::move(queue_.front());
            queue_.pop_front();
            return e;
        }
        if (closed_) return std::nullopt;
        if (deadline_nano == 0) {
            ready_.wait(lock);
            continue;
        }
        int64_t left = deadline_nano - now_nano();
        if (left <= 0) return std::nullopt;
        ready_.wait_for(lock, std::chrono::nanoseconds(left));
    }
}

void EventBus::Subscription::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
}

void EventBus::publish(Event event) {
    if (event.time_nano == 0) event.time_nano = now_nano();
    std::lock_guard lock(mutex_);
    history_.push_back(event);
    if (history_.size() > kHistory) history_.pop_front();
    for (auto& s : subscribers_) {
        std::lock_guard sub_lock(s->mutex_);
        s->queue_.push_back(event);
        s->ready_.notify_all();
    }
}

std::pair<std::vector<Event>, std::shared_ptr<EventBus::Subscription>> EventBus::subscribe(
    int64_t since_nano) {
    std::lock_guard lock(mutex_);
    std::vector<Event> past;
    if (since_nano > 0)
        for (const auto& e : history_)
            if (e.time_nano >= since_nano) past.push_back(e);
    auto subscription = std::make_shared<Subscription>();
    subscribers_.push_back(subscription);
    return {std::move(past), subscription};
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& subscription) {
    std::lock_guard lock(mutex_);
    subscribers_.remove(subscription);
}

void EventBus::close_all() {
    std::lock_guard lock(mutex_);
    for (auto& s : subscribers_)
        s->close();
}

}  // namespace berth::engine
