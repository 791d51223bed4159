// The daemon's event stream (/events): every container and image action as docker reports it.
// The bus keeps the most recent events for `since` queries and hands live ones to subscribers.
//
// Thread-safe: publishers are request threads and the monitor watcher; each subscriber reads
// from its own queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"

namespace berth::engine {

struct Event {
    std::string type;    // "container", "image"
    std::string action;  // "create", "start", "die", "health_status: healthy"…
    std::string id;
    Json attributes = Json::object();  // name, image, exitCode, the container's labels…
    int64_t time_nano = 0;
};

// docker's JSON for one event (status/id/from for old clients, Type/Action/Actor for new).
Json event_json(const Event& event);

class EventBus {
  public:
    class Subscription {
      public:
        // The next event, or nullopt once `deadline_nano` (wall clock; 0: none) passes or the
        // subscription is closed.
        std::optional<Event> next(int64_t deadline_nano);
        void close();

      private:
        friend class EventBus;
        std::mutex mutex_;
        std::condition_variable ready_;
        std::deque<Event> queue_;
        bool closed_ = false;
    };

    void publish(Event event);
    // Past events with since_nano <= time (until_nano 0: no bound), and a live subscription
    // taken atomically with them so that nothing falls between.
    std::pair<std::vector<Event>, std::shared_ptr<Subscription>> subscribe(int64_t since_nano);
    void unsubscribe(const std::shared_ptr<Subscription>& subscription);
    // Ends every subscription (daemon shutdown).
    void close_all();

  private:
    static constexpr size_t kHistory = 1024;
    std::mutex mutex_;
    std::deque<Event> history_;
    std::list<std::shared_ptr<Subscription>> subscribers_;
};

int64_t now_nano();

}  // namespace berth::engine
