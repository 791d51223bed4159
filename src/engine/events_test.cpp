#include "engine/events.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine/image_events.h"
#include "engine/scheduler.h"

namespace berth::engine {
namespace {

Event container_event(std::string action, int64_t time) {
    Event e;
    e.type = "container";
    e.action = std::move(action);
    e.id = "abc";
    e.attributes = {{"image", "busybox"}, {"name", "web"}};
    e.time_nano = time;
    return e;
}

TEST(EventBus, HistorySinceAndLiveDeliveryWithoutGap) {
    EventBus bus;
    bus.publish(container_event("create", 100));
    bus.publish(container_event("start", 200));
    auto [past, sub] = bus.subscribe(150);
    ASSERT_EQ(past.size(), 1u);
    EXPECT_EQ(past[0].action, "start");
    std::thread publisher([&] { bus.publish(container_event("die", 300)); });
    auto live = sub->next(0);
    publisher.join();
    ASSERT_TRUE(live);
    EXPECT_EQ(live->action, "die");
    bus.unsubscribe(sub);
}

TEST(EventBus, DeadlineAndCloseEndTheWait) {
    EventBus bus;
    auto [past, sub] = bus.subscribe(0);
    EXPECT_TRUE(past.empty());
    EXPECT_FALSE(sub->next(now_nano() + 1000000));  // 1 ms
    bus.close_all();
    EXPECT_FALSE(sub->next(0));
}

TEST(EventBus, JsonHasOldAndNewFields) {
    auto doc = event_json(container_event("start", 1700000000123456789));
    EXPECT_EQ(doc["status"], "start");
    EXPECT_EQ(doc["from"], "busybox");
    EXPECT_EQ(doc["Type"], "container");
    EXPECT_EQ(doc["Actor"]["Attributes"]["name"], "web");
    EXPECT_EQ(doc["time"], 1700000000);
    EXPECT_EQ(doc["timeNano"], 1700000000123456789);
}

TEST(EventBus, ImageAndPruneEventsAsDockerdShowsThem) {
    EventBus bus;
    publish_image_event(bus, "tag", "sha256:abc", "web:1", {{"a", "b"}});
    publish_prune_event(bus, "image", 42);
    auto [past, sub] = bus.subscribe(1);  // since the start of time
    ASSERT_EQ(past.size(), 2u);
    auto tag = event_json(past[0]);
    EXPECT_EQ(tag["status"], "tag");
    EXPECT_EQ(tag["id"], "sha256:abc");
    EXPECT_FALSE(tag.contains("from"));
    EXPECT_EQ(tag["Type"], "image");
    EXPECT_EQ(tag["Actor"]["ID"], "sha256:abc");
    EXPECT_EQ(tag["Actor"]["Attributes"], (Json{{"a", "b"}, {"name", "web:1"}}));
    auto prune = event_json(past[1]);
    EXPECT_EQ(prune["status"], "prune");
    EXPECT_FALSE(prune.contains("id"));
    EXPECT_EQ(prune["Actor"], (Json{{"ID", ""}, {"Attributes", {{"reclaimed", "42"}}}}));
    bus.unsubscribe(sub);
}

TEST(EventBus, RemovalsBecomeUntagAndDeleteOfTheImage) {
    EventBus bus;
    using image::RemovalEvent;
    std::vector<RemovalEvent> removals = {{RemovalEvent::Kind::Untagged, "web:1", "sha256:img"},
                                          {RemovalEvent::Kind::Deleted, "sha256:img", "sha256:img"},
                                          {RemovalEvent::Kind::Deleted, "sha256:layer", ""}};
    publish_removal_events(bus, removals, {{"sha256:img", {{"a", "b"}}}});
    auto [past, sub] = bus.subscribe(1);  // since the start of time
    ASSERT_EQ(past.size(), 2u);
    EXPECT_EQ(past[0].action, "untag");
    EXPECT_EQ(past[0].id, "sha256:img");
    EXPECT_EQ(past[0].attributes, (Json{{"a", "b"}, {"name", "sha256:img"}}));
    EXPECT_EQ(past[1].action, "delete");
    EXPECT_EQ(past[1].attributes, (Json{{"name", "sha256:img"}}));
    bus.unsubscribe(sub);
}

TEST(Scheduler, RunsInTimeOrderAndCancels) {
    Scheduler scheduler;
    std::mutex m;
    std::condition_variable cv;
    std::vector<int> order;
    auto add = [&](int v) {
        std::lock_guard lock(m);
        order.push_back(v);
        cv.notify_all();
    };
    scheduler.schedule(std::chrono::milliseconds(30), [&] { add(2); });
    scheduler.schedule(std::chrono::milliseconds(0), [&] { add(1); });
    auto token = scheduler.schedule(std::chrono::milliseconds(10), [&] { add(99); });
    EXPECT_TRUE(scheduler.cancel(token));
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return order.size() == 2; });
    EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace berth::engine
