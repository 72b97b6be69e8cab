#pragma once
// A bounded, lock-free, single-producer single-consumer ring: the building block of the
// fanout bus between shards (one ring per ordered pair of shards).
//
// After rigtorp/SPSCQueue: each index on its own cache line, and each side keeps a cached
// copy of the other side's index so that it touches the shared line only when the cached
// value says the ring looks full (producer) or empty (consumer). A full ring refuses the
// push: the caller applies back-pressure, memory never grows.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

namespace rg::core {

inline constexpr size_t kCacheLine = 64;

template <class T, size_t Capacity>
class SpscRing {
  static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "capacity: a power of two");
  static_assert(std::is_trivially_copyable_v<T>, "the ring carries pointers and small values");

 public:
  SpscRing() = default;
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  static constexpr size_t capacity() noexcept { return Capacity; }

  // Producer only. False when full.
  bool try_push(const T& value) noexcept {
    const uint64_t tail = producer_.tail.load(std::memory_order_relaxed);
    if (tail - producer_.cached_head == Capacity) {
      producer_.cached_head = head_.value.load(std::memory_order_acquire);
      if (tail - producer_.cached_head == Capacity) return false;
    }
    slots_[tail & (Capacity - 1)] = value;
    producer_.tail.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer only. False when empty.
  bool try_pop(T& out) noexcept {
    const uint64_t head = consumer_.head_local;
    if (consumer_.cached_tail == head) {
      consumer_.cached_tail = producer_.tail.load(std::memory_order_acquire);
      if (consumer_.cached_tail == head) return false;
    }
    out = slots_[head & (Capacity - 1)];
    consumer_.head_local = head + 1;
    head_.value.store(head + 1, std::memory_order_release);
    return true;
  }

  // Either side: whether the ring looked empty a moment ago.
  bool empty() const noexcept {
    return producer_.tail.load(std::memory_order_acquire) ==
           head_.value.load(std::memory_order_acquire);
  }

 private:
  struct alignas(kCacheLine) ProducerSide {
    std::atomic<uint64_t> tail{0};  // written by the producer, read by the consumer
    uint64_t cached_head = 0;       // the producer's last look at head
  };
  struct alignas(kCacheLine) ConsumerSide {
    uint64_t head_local = 0;   // the consumer's own copy of head
    uint64_t cached_tail = 0;  // the consumer's last look at tail
  };
  struct alignas(kCacheLine) Head {
    std::atomic<uint64_t> value{0};  // written by the consumer, read by the producer
  };

  ProducerSide producer_;
  ConsumerSide consumer_;
  Head head_;
  alignas(kCacheLine) T slots_[Capacity];

  static_assert(sizeof(ProducerSide) == kCacheLine && sizeof(ConsumerSide) == kCacheLine &&
                    sizeof(Head) == kCacheLine,
                "each side's hot data on a cache line of its own");
};

}  // namespace rg::core
