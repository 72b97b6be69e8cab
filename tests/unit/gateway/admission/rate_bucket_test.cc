// Per-connection rate limits: bursts, refills, the byte bucket, and the cut-off after a
// streak of refusals without a quiet second.

#include "gateway/admission/rate_bucket.h"

#include <gtest/gtest.h>

namespace rg::gateway {
namespace {

using Verdict = RateBucket::Verdict;

TEST(RateBucket, ABurstPassesThenRefillsAtTheRate) {
  RateLimits limits{.messages_per_s = 10, .bytes_per_s = 0, .grace_ms = 5000};
  RateBucket bucket;
  uint64_t now = 1000;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bucket.take(limits, now, 10), Verdict::kPass) << i;
  EXPECT_EQ(bucket.take(limits, now, 10), Verdict::kMessages);
  EXPECT_EQ(bucket.take(limits, now + 99, 10), Verdict::kMessages);  // 0.99 of a request
  EXPECT_EQ(bucket.take(limits, now + 100, 10), Verdict::kPass);     // one more after 100 ms
  EXPECT_EQ(bucket.take(limits, now + 100, 10), Verdict::kMessages);
  // A long pause refills the burst, never more.
  now += 60000;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bucket.take(limits, now, 10), Verdict::kPass) << i;
  EXPECT_EQ(bucket.take(limits, now, 10), Verdict::kMessages);
}

TEST(RateBucket, BytesAreLimitedToo) {
  RateLimits limits{.messages_per_s = 0, .bytes_per_s = 1000, .grace_ms = 5000};
  RateBucket bucket;
  EXPECT_EQ(bucket.take(limits, 1, 600), Verdict::kPass);
  EXPECT_EQ(bucket.take(limits, 1, 600), Verdict::kBytes);
  EXPECT_EQ(bucket.take(limits, 1, 400), Verdict::kPass);
  EXPECT_EQ(bucket.take(limits, 101, 100), Verdict::kPass);  // 100 bytes refilled in 100 ms
  EXPECT_EQ(bucket.take(limits, 101, 1), Verdict::kBytes);
  // A request larger than the burst passes on a full bucket (and empties it).
  EXPECT_EQ(bucket.take(limits, 5000, 5000), Verdict::kPass);
  EXPECT_EQ(bucket.take(limits, 5000, 1), Verdict::kBytes);
}

TEST(RateBucket, ASteadyAbuserIsCutOffAfterTheGraceAQuietSecondForgives) {
  RateLimits limits{.messages_per_s = 1, .bytes_per_s = 0, .grace_ms = 2000};
  RateBucket bucket;
  uint64_t now = 1;
  EXPECT_EQ(bucket.take(limits, now, 1), Verdict::kPass);
  // Refused every 100 ms (with a pass each second): the streak goes on.
  Verdict last = Verdict::kPass;
  for (; now < 1 + 2500 && last != Verdict::kCutOff; now += 100) last = bucket.take(limits, now, 1);
  EXPECT_EQ(last, Verdict::kCutOff);
  EXPECT_GE(now, 2001u);
  // Another connection that pauses a whole second between bursts is never cut off.
  RateBucket polite;
  uint64_t t = 1;
  for (int round = 0; round < 10; ++round, t += 1500) {
    EXPECT_EQ(polite.take(limits, t, 1), Verdict::kPass);
    EXPECT_EQ(polite.take(limits, t + 1, 1), Verdict::kMessages);
  }
}

}  // namespace
}  // namespace rg::gateway
