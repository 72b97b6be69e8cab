#pragma once
// A latency histogram written by one thread and read by any, with fixed buckets (Prometheus'
// cumulative form is made at scrape time, by summing every shard's). Observing is a short
// linear scan over 16 thresholds and two plain increments: no lock, no allocation.

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/counter.h"

namespace rg::core {

class LatencyHistogram {
 public:
  // Upper bounds in seconds, as the metrics print them: 5 µs to 1 s, roughly ×2–2.5.
  static constexpr std::array<double, 16> kBoundsSeconds = {
      0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
      0.0025,   0.005,   0.01,     0.025,   0.05,   0.1,     0.25,   1.0};
  static constexpr size_t kBuckets = kBoundsSeconds.size() + 1;  // the last: above 1 s

  void observe(uint64_t ns) noexcept {
    size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    ++counts_[i];
    sum_ns_ += ns;
  }

  // Observations in bucket i alone (not cumulative); i == kBuckets - 1: above the last bound.
  uint64_t bucket(size_t i) const noexcept { return counts_[i].get(); }
  uint64_t sum_ns() const noexcept { return sum_ns_.get(); }

 private:
  static constexpr std::array<uint64_t, 16> kBoundsNs = {
      5'000,      10'000,      25'000,      50'000,       100'000,    250'000,
      500'000,    1'000'000,   2'500'000,   5'000'000,    10'000'000, 25'000'000,
      50'000'000, 100'000'000, 250'000'000, 1'000'000'000};
  std::array<Counter, kBuckets> counts_{};
  Counter sum_ns_;
};

}  // namespace rg::core
