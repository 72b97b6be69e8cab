// Two shards' mailboxes on one bus, ticked by hand on one thread.

#include "core/bus/mailbox.h"

#include <gtest/gtest.h>

#include <vector>

namespace rg::core {
namespace {

struct Note final : BusMessage {
  Note(uint8_t topic, int value) : BusMessage(topic), value(value) {}
  int value;
};

struct Received {
  unsigned from;
  unsigned lane;
  int value;
};

void record(void* self, unsigned from, unsigned lane, BusMessage* message) noexcept {
  static_cast<std::vector<Received>*>(self)->push_back(
      {from, lane, static_cast<Note*>(message)->value});
  message->release();
}

struct CountingService final : ShardMailbox::Service {
  void on_tick() noexcept override { ++ticks; }
  uint64_t sleep_limit_ms() noexcept override { return limit; }
  bool idle() const noexcept override { return quiet; }
  int ticks = 0;
  uint64_t limit = LoopHook::kSleepUnbounded;
  bool quiet = true;
};

TEST(ShardMailbox, EachTopicGoesToItsHandlerWithItsSenderAndLane) {
  Bus bus(2);
  ShardMailbox a(bus, 0), b(bus, 1);
  std::vector<Received> rooms, other;
  b.subscribe(1, &record, &rooms);
  b.subscribe(2, &record, &other);
  a.send(1, kRequestLane, new Note(1, 10));
  a.send(1, kReplyLane, new Note(2, 20));
  a.send(1, kRequestLane, new Note(1, 11));
  a.on_tick();  // flushes what a sent
  b.on_tick();
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].from, 0u);
  EXPECT_EQ(rooms[0].lane, kRequestLane);
  EXPECT_EQ(rooms[0].value, 10);
  EXPECT_EQ(rooms[1].value, 11);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].lane, kReplyLane);
  EXPECT_EQ(other[0].value, 20);
}

TEST(ShardMailbox, ServicesGetTheirTurnAndDecideSleepAndIdleness) {
  Bus bus(1);
  ShardMailbox mailbox(bus, 0);
  CountingService first, second;
  mailbox.add_service(first);
  mailbox.add_service(second);
  mailbox.on_tick();
  EXPECT_EQ(first.ticks, 1);
  EXPECT_EQ(second.ticks, 1);
  EXPECT_TRUE(mailbox.idle());
  second.quiet = false;
  EXPECT_FALSE(mailbox.idle());
  second.limit = 10;
  EXPECT_EQ(mailbox.prepare_to_sleep(), 10u);
  mailbox.on_woken();
  first.limit = 0;
  EXPECT_EQ(mailbox.prepare_to_sleep(), 0u);
}

}  // namespace
}  // namespace rg::core
