#include "core/bus/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace rg::core {
namespace {

TEST(SpscRing, FifoFullAndEmpty) {
  SpscRing<int, 4> ring;
  int out = 0;
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.try_pop(out));
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.try_push(i));
  EXPECT_FALSE(ring.try_push(99)) << "full: the push is refused, nothing grows";
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ring.try_pop(out));
    EXPECT_EQ(out, i);
  }
  EXPECT_FALSE(ring.try_pop(out));
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, WrapsAroundManyTimes) {
  SpscRing<uint64_t, 8> ring;
  uint64_t next_in = 0, next_out = 0, out = 0;
  for (int round = 0; round < 10000; ++round) {
    int pushes = round % 9;
    for (int i = 0; i < pushes && ring.try_push(next_in); ++i) ++next_in;
    int pops = (round * 7) % 9;
    for (int i = 0; i < pops && ring.try_pop(out); ++i) {
      ASSERT_EQ(out, next_out);
      ++next_out;
    }
  }
  while (ring.try_pop(out)) ASSERT_EQ(out, next_out++);
  EXPECT_EQ(next_in, next_out);
}

// Two threads, millions of items: every item arrives once, in order. Run under TSan by
// tools/check, which also proves the memory orders publish the slot before the index.
TEST(SpscRing, ProducerAndConsumerThreadsLoseNothing) {
  static SpscRing<uint64_t, 1024> ring;
  constexpr uint64_t kItems = 2000000;
  std::atomic<bool> ok{true};
  std::thread consumer([&] {
    uint64_t expected = 0, value = 0;
    while (expected < kItems) {
      if (ring.try_pop(value)) {
        if (value != expected) ok = false;
        ++expected;
      }
    }
  });
  uint64_t refused = 0;
  for (uint64_t i = 0; i < kItems;) {
    if (ring.try_push(i)) {
      ++i;
    } else {
      ++refused;  // back-pressure: the producer would pause its readers here
    }
  }
  consumer.join();
  EXPECT_TRUE(ok.load());
  EXPECT_TRUE(ring.empty());
  RecordProperty("full_ring_refusals", static_cast<int>(std::min<uint64_t>(refused, INT32_MAX)));
}

// Pointers to immutable messages, the bus's payload: the consumer sees the bytes the
// producer wrote before pushing.
TEST(SpscRing, PublishesWhatThePointerPointsTo) {
  struct Message {
    uint64_t a, b;
  };
  static SpscRing<Message*, 64> ring;
  constexpr int kMessages = 200000;
  std::thread consumer([&] {
    Message* m = nullptr;
    for (int got = 0; got < kMessages;) {
      if (ring.try_pop(m)) {
        EXPECT_EQ(m->b, m->a * 3);
        delete m;
        ++got;
      }
    }
  });
  for (int i = 0; i < kMessages;) {
    auto* m = new Message{static_cast<uint64_t>(i), static_cast<uint64_t>(i) * 3};
    while (!ring.try_push(m)) {
    }
    ++i;
  }
  consumer.join();
}

}  // namespace
}  // namespace rg::core
