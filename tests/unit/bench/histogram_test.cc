#include "bench/measure/histogram.h"

#include <gtest/gtest.h>

#include <random>

namespace rg::bench {
namespace {

TEST(Histogram, EveryValueLandsInABucketWhoseEdgeIsWithinOnePercentAndAHalf) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = rng() >> (rng() % 40 + 24);
    int index = Histogram::index_of(v);
    ASSERT_GE(Histogram::upper_edge(index), v);
    ASSERT_LE(static_cast<double>(Histogram::upper_edge(index) - v),
              0.016 * static_cast<double>(v) + 1)
        << v;
    if (index > 0) {
      ASSERT_LT(Histogram::upper_edge(index - 1), v);
    }
  }
}

TEST(Histogram, QuantilesOfAUniformDistribution) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 50e6, 50e6 * 0.016);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 99e6, 99e6 * 0.016);
  EXPECT_EQ(h.quantile(1.0), h.max());
  EXPECT_LE(h.quantile(0.9999), h.max());
}

TEST(Histogram, MergeAddsCountsAndKeepsExtremes) {
  Histogram a, b;
  a.record(10);
  a.record(20);
  b.record(5);
  b.record(1000000);
  a.merge(b);
  EXPECT_EQ(a.count(), 4u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1000000u);
  EXPECT_EQ(a.quantile(0.25), 5u);
  Histogram empty;
  EXPECT_EQ(empty.quantile(0.5), 0u);
  EXPECT_EQ(empty.min(), 0u);
}

TEST(Histogram, HugeValuesAreClampedNotLost) {
  Histogram h;
  h.record(UINT64_MAX);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.max(), UINT64_MAX);
}

}  // namespace
}  // namespace rg::bench
