#include "core/shard/timer_wheel.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <vector>

namespace rg::core {
namespace {

struct Probe {
  explicit Probe(int id, std::vector<int>* log) : id(id), log(log), timer(&Probe::fire, this) {}
  static void fire(void* self) noexcept {
    auto* p = static_cast<Probe*>(self);
    p->log->push_back(p->id);
    if (p->then) p->then(*p);
  }
  int id;
  std::vector<int>* log;
  Timer timer;
  std::function<void(Probe&)> then;
};

TEST(TimerWheel, NeverFiresEarlyAndFiresOnce) {
  std::vector<int> log;
  TimerWheel wheel(1000);
  Probe a(1, &log);
  wheel.schedule(a.timer, 1055);
  EXPECT_EQ(wheel.advance(1054), 0u);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(wheel.advance(1060), 1u);
  EXPECT_EQ(log, std::vector<int>{1});
  EXPECT_FALSE(a.timer.armed());
  EXPECT_EQ(wheel.advance(5000), 0u);
  EXPECT_EQ(log.size(), 1u);
}

TEST(TimerWheel, FiresInDeadlineOrderAcrossTicks) {
  std::vector<int> log;
  TimerWheel wheel(0);
  Probe a(1, &log), b(2, &log), c(3, &log);
  wheel.schedule(c.timer, 300);
  wheel.schedule(a.timer, 100);
  wheel.schedule(b.timer, 200);
  wheel.advance(1000);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 3}));
}

TEST(TimerWheel, CancelAndRescheduleAndDestroy) {
  std::vector<int> log;
  TimerWheel wheel(0);
  Probe a(1, &log), b(2, &log);
  wheel.schedule(a.timer, 50);
  wheel.schedule(b.timer, 50);
  wheel.cancel(a.timer);
  wheel.schedule(b.timer, 500);  // pushed back
  {
    Probe c(3, &log);
    wheel.schedule(c.timer, 60);
  }  // destroyed while armed: must unlink itself
  EXPECT_EQ(wheel.size(), 1u);
  wheel.advance(400);
  EXPECT_TRUE(log.empty());
  wheel.advance(500);
  EXPECT_EQ(log, std::vector<int>{2});
}

TEST(TimerWheel, TimersBeyondOneRevolution) {
  std::vector<int> log;
  TimerWheel wheel(0, 10);
  Probe far(1, &log), near(2, &log);
  uint64_t turn = uint64_t{TimerWheel::kSlots} * 10;
  wheel.schedule(far.timer, turn + 20);  // same slot as `near`, one revolution later
  wheel.schedule(near.timer, 20);
  for (uint64_t t = 10; t < turn; t += 10) wheel.advance(t);
  EXPECT_EQ(log, std::vector<int>{2});
  wheel.advance(turn + 20);
  EXPECT_EQ(log, (std::vector<int>{2, 1}));
}

TEST(TimerWheel, LongSleepFiresEverythingDue) {
  std::vector<int> log;
  TimerWheel wheel(0, 10);
  Probe a(1, &log), b(2, &log), c(3, &log);
  wheel.schedule(a.timer, 30);
  wheel.schedule(b.timer, 50000);
  wheel.schedule(c.timer, 900000);
  wheel.advance(100000);  // more than a whole revolution at once
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(c.timer.armed());
}

TEST(TimerWheel, CallbackMayRescheduleItself) {
  std::vector<int> log;
  TimerWheel wheel(0);
  Probe a(1, &log);
  int left = 3;
  a.then = [&](Probe& p) {
    if (--left > 0) wheel.schedule(p.timer, 0);  // "now": goes to the next tick
  };
  wheel.schedule(a.timer, 10);
  wheel.advance(10);
  EXPECT_EQ(log.size(), 1u);
  wheel.advance(20);
  wheel.advance(30);
  wheel.advance(40);
  EXPECT_EQ(log.size(), 3u);
}

// Callbacks that cancel, re-arm or destroy the next timer of the slot being fired (the
// review of 043c7f5 found the walk followed a pointer taken before the callback ran).
TEST(TimerWheel, CallbackMayCancelRearmOrDestroyTheNextTimerOfItsSlot) {
  for (int action = 0; action < 3; ++action) {
    std::vector<int> log;
    TimerWheel wheel(0);
    auto a = std::make_unique<Probe>(1, &log);
    auto b = std::make_unique<Probe>(2, &log);
    auto c = std::make_unique<Probe>(3, &log);
    Probe later(4, &log);
    // Same slot, same tick; a later revolution in the slot as well. Linked at the head:
    // fired c, b, a.
    wheel.schedule(later.timer, 50 + 10 * TimerWheel::kSlots);
    wheel.schedule(a->timer, 50);
    wheel.schedule(b->timer, 50);
    wheel.schedule(c->timer, 50);
    c->then = [&](Probe&) {
      if (action == 0) wheel.cancel(b->timer);
      if (action == 1) wheel.schedule(b->timer, 5000);
      if (action == 2) b.reset();
    };
    EXPECT_EQ(wheel.advance(60), 2u) << action;
    EXPECT_EQ(log, (std::vector<int>{3, 1})) << action;
    EXPECT_EQ(wheel.size(), action == 1 ? 2u : 1u) << action;
    EXPECT_TRUE(later.timer.armed());
    wheel.advance(6000);
    EXPECT_EQ(log.size(), action == 1 ? 3u : 2u) << action;
    wheel.advance(60 + 10 * TimerWheel::kSlots);
    EXPECT_EQ(log.back(), 4) << action;
    EXPECT_EQ(wheel.size(), 0u) << action;
  }
}

TEST(TimerWheel, NextWakeupCoversTheEarliestTimer) {
  std::vector<int> log;
  TimerWheel wheel(1000, 10);
  EXPECT_FALSE(wheel.next_wakeup_in_ms(1000).has_value());
  Probe a(1, &log), b(2, &log);
  wheel.schedule(b.timer, 1000 + 30000);
  wheel.schedule(a.timer, 1000 + 250);
  auto wait = wheel.next_wakeup_in_ms(1000);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, 250u);
  wheel.cancel(a.timer);
  EXPECT_EQ(*wheel.next_wakeup_in_ms(1000), 30000u);
}

}  // namespace
}  // namespace rg::core
