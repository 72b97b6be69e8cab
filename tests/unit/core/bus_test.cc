#include "core/bus/bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace rg::core {
namespace {

struct Numbered final : BusMessage {
  Numbered(unsigned from, uint64_t n, std::atomic<int>& alive) : from(from), n(n), alive(alive) {
    ++alive;
  }
  ~Numbered() override { --alive; }
  unsigned from;
  uint64_t n;
  std::atomic<int>& alive;
};

TEST(Bus, AFullRingKeepsMessagesInOrderInTheBacklog) {
  std::atomic<int> alive{0};
  {
    Bus bus(2);
    BusPort a(bus, 0), b(bus, 1);
    const uint64_t total = 3 * kBusRingCapacity + 7;
    for (uint64_t i = 0; i < total; ++i) a.send(1, kRequestLane, new Numbered(0, i, alive));
    EXPECT_EQ(a.backlog(kRequestLane), total - kBusRingCapacity);
    uint64_t next = 0;
    while (next < total) {
      a.flush();
      b.drain(kRequestLane, 100, [&](unsigned from, BusMessage* m) {
        auto* msg = static_cast<Numbered*>(m);
        EXPECT_EQ(from, 0u);
        EXPECT_EQ(msg->n, next++);
        m->release();
      });
    }
    EXPECT_EQ(a.backlog(kRequestLane), 0u);
    // Leftovers (in a ring, in a backlog) are released with the ports.
    for (uint64_t i = 0; i < kBusRingCapacity + 5; ++i)
      a.send(1, kReplyLane, new Numbered(0, i, alive));
  }
  EXPECT_EQ(alive.load(), 0);
}

TEST(Bus, ARefcountedMessageIsFreedByTheLastShardDoneWithIt) {
  std::atomic<int> alive{0};
  Bus bus(3);
  BusPort p0(bus, 0), p1(bus, 1), p2(bus, 2);
  auto* m = new Numbered(0, 1, alive);
  m->retain(1);  // two destinations
  p0.send(1, kReplyLane, m);
  p0.send(2, kReplyLane, m);
  p0.flush();
  p1.drain(kReplyLane, 10, [](unsigned, BusMessage* x) { x->release(); });
  EXPECT_EQ(alive.load(), 1);
  p2.drain(kReplyLane, 10, [](unsigned, BusMessage* x) { x->release(); });
  EXPECT_EQ(alive.load(), 0);
}

TEST(Bus, ASleepingShardSeesEveryPushOrIsWoken) {
  Bus bus(2);
  BusPort consumer(bus, 1);
  BusPort producer(bus, 0);
  std::atomic<int> alive{0};
  EXPECT_TRUE(consumer.prepare_to_sleep(true));  // nothing waiting: it may sleep
  producer.send(1, kRequestLane, new Numbered(0, 0, alive));
  producer.flush();  // sees the flag, clears it (no shard attached to wake here)
  EXPECT_FALSE(bus.sleeping(1).load());
  EXPECT_FALSE(consumer.prepare_to_sleep(true));  // a message waits: do not sleep
  EXPECT_TRUE(consumer.prepare_to_sleep(false));  // ...unless requests are being throttled
  consumer.drain(kRequestLane, 10, [](unsigned, BusMessage* m) { m->release(); });
}

// Every ordered pair of 4 shards, at once, from 4 threads: each receiver sees each
// sender's messages exactly once and in order (run under TSan by tools/check).
TEST(Bus, AllPairsUnderConcurrency) {
  constexpr unsigned kShards = 4;
  constexpr uint64_t kPerPair = 20000;
  std::atomic<int> alive{0};
  Bus bus(kShards);
  std::vector<std::thread> threads;
  std::atomic<bool> failed{false};
  for (unsigned self = 0; self < kShards; ++self) {
    threads.emplace_back([&, self] {
      BusPort port(bus, self);
      std::vector<uint64_t> sent(kShards, 0), expect(kShards, 0);
      uint64_t received = 0;
      const uint64_t want = kPerPair * (kShards - 1);
      auto all_sent = [&] {
        for (unsigned to = 0; to < kShards; ++to) {
          if (to != self && sent[to] < kPerPair) return false;
        }
        return port.backlog(kReplyLane) == 0;
      };
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      // A thread may receive everything before it has sent everything (the scheduler can
      // starve it), so it keeps going until both are done.
      while (received < want || !all_sent()) {
        for (unsigned to = 0; to < kShards; ++to) {
          for (int k = 0; k < 64 && to != self && sent[to] < kPerPair; ++k) {
            port.send(to, kReplyLane, new Numbered(self, sent[to]++, alive));
          }
        }
        port.flush();
        port.drain(kReplyLane, 256, [&](unsigned from, BusMessage* m) {
          auto* msg = static_cast<Numbered*>(m);
          if (msg->from != from || msg->n != expect[from]++) failed = true;
          ++received;
          m->release();
        });
        if (std::chrono::steady_clock::now() > deadline) {
          failed = true;
          break;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(alive.load(), 0);
}

}  // namespace
}  // namespace rg::core
