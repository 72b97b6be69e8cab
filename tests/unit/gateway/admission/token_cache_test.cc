// The shard's token cache: a token verified once is found again without verifying, until
// it expires; refusals are not kept; the cache stays within its capacity.

#include "gateway/admission/token_cache.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/jwt_tokens.h"

namespace rg::gateway {
namespace {

constexpr int64_t kNow = 1'800'000'000;

TEST(TokenCache, AVerifiedTokenIsFoundAgainUntilItExpires) {
  proto::JwtConfig config;
  config.secret = "s";
  TokenCache cache(config, 2);
  std::string token = testing::token_hs("HS256", "s", R"({"sub":"a","exp":1800000100})");
  ASSERT_EQ(cache.check(token, kNow).error, proto::JwtError::kNone);
  TokenCache::Verdict again = cache.check(token, kNow + 50);
  ASSERT_EQ(again.error, proto::JwtError::kNone);
  EXPECT_EQ(again.claims->sub, "a");
  EXPECT_EQ(cache.verified(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  // Past exp (and the leeway) it is verified again, and refused.
  EXPECT_EQ(cache.check(token, kNow + 200).error, proto::JwtError::kExpired);
  EXPECT_EQ(cache.verified(), 2u);
  // A refused token is verified every time.
  std::string forged = testing::token_hs("HS256", "x", R"({"sub":"a"})");
  EXPECT_EQ(cache.check(forged, kNow).error, proto::JwtError::kSignature);
  EXPECT_EQ(cache.check(forged, kNow).error, proto::JwtError::kSignature);
  EXPECT_EQ(cache.verified(), 4u);
  // Bounded: the oldest goes first.
  std::string t1 = testing::token_hs("HS256", "s", R"({"sub":"1"})");
  std::string t2 = testing::token_hs("HS256", "s", R"({"sub":"2"})");
  std::string t3 = testing::token_hs("HS256", "s", R"({"sub":"3"})");
  for (const std::string* t : {&t1, &t2, &t3}) (void)cache.check(*t, kNow);
  uint64_t verified = cache.verified();
  (void)cache.check(t3, kNow);
  EXPECT_EQ(cache.verified(), verified);  // kept
  (void)cache.check(t1, kNow);
  EXPECT_EQ(cache.verified(), verified + 1);  // forgotten
}

}  // namespace
}  // namespace rg::gateway
