#pragma once
// A counter written by one thread (its shard's) and read by any: the metrics scrape sums
// them while the shards run. A relaxed load and store, not a read-modify-write: on x86 the
// increment is the same plain `add` as on a uint64_t, with no lock prefix and no fence.
// Readers see some recent value, never a torn one.

#include <atomic>
#include <cstdint>

namespace rg::core {

class Counter {
 public:
  constexpr Counter() noexcept = default;
  constexpr Counter(uint64_t value) noexcept : value_(value) {}  // NOLINT: reads as a number
  Counter(const Counter& other) noexcept : value_(other.get()) {}
  Counter& operator=(const Counter& other) noexcept { return *this = other.get(); }
  Counter& operator=(uint64_t value) noexcept {
    value_.store(value, std::memory_order_relaxed);
    return *this;
  }

  // Only from the writing thread.
  Counter& operator+=(uint64_t n) noexcept { return *this = get() + n; }
  Counter& operator-=(uint64_t n) noexcept { return *this = get() - n; }
  Counter& operator++() noexcept { return *this += 1; }
  Counter& operator--() noexcept { return *this -= 1; }

  // From any thread.
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }
  operator uint64_t() const noexcept { return get(); }  // NOLINT: reads as a number

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace rg::core
