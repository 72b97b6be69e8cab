#pragma once
// A log-linear latency histogram (the HdrHistogram idea; Debian packages no C or C++
// HdrHistogram): 64 linear sub-buckets per power of two, so any recorded value is known
// to within 1/64 (1.6 %), from 1 ns to over a minute, in 22 KB, with O(1) recording and
// merging by addition. The exact minimum and maximum are kept besides.

#include <array>
#include <bit>
#include <cstdint>

namespace rg::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExponent = 40;  // values up to 2^41 ns (36 minutes)
  static constexpr int kBuckets = (kMaxExponent - kSubBits + 2) * kSub;

  void record(uint64_t value) noexcept {
    ++counts_[index_of(value)];
    ++count_;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void merge(const Histogram& other) noexcept;
  void clear() noexcept { *this = Histogram(); }

  uint64_t count() const noexcept { return count_; }
  uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  uint64_t max() const noexcept { return max_; }
  // The value at quantile q (0..1): the upper edge of its bucket, never above max().
  uint64_t quantile(double q) const noexcept;

  static int index_of(uint64_t value) noexcept {
    if (value < kSub) return static_cast<int>(value);
    int exponent = 63 - std::countl_zero(value);  // >= kSubBits
    if (exponent > kMaxExponent) return kBuckets - 1;
    int sub = static_cast<int>((value >> (exponent - kSubBits)) & (kSub - 1));
    return (exponent - kSubBits + 1) * kSub + sub;
  }
  // The largest value that lands in bucket `index`.
  static uint64_t upper_edge(int index) noexcept {
    if (index < kSub) return static_cast<uint64_t>(index);
    int exponent = index / kSub + kSubBits - 1;
    uint64_t sub = static_cast<uint64_t>(index % kSub);
    return ((uint64_t{kSub} + sub + 1) << (exponent - kSubBits)) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace rg::bench
