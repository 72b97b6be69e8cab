// What a reconnect storm with tokens costs a shard: verifying a token (HS256, ES256,
// EdDSA, RS256), against finding it in the shard's cache of verified tokens.

#include <benchmark/benchmark.h>

#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "gateway/admission/token_cache.h"
#include "proto/auth/jwt.h"
#include "tests/support/jwt_tokens.h"

namespace {

// A token for `alg` and its verifier's configuration.
std::pair<std::string, rg::proto::JwtConfig> make(const std::string& alg) {
  std::string claims = R"({"sub":"bench","exp":)" + std::to_string(std::time(nullptr) + 3600) +
                       R"(,"rooms":{"join":["game:*"],"pub":["game:*"]}})";
  rg::proto::JwtConfig config;
  if (alg == "HS256") {
    config.secret = "a-secret-of-32-bytes-or-so-00000";
    return {rg::testing::token_hs(alg, config.secret, claims), config};
  }
  rg::testing::Key key = rg::testing::new_key(alg);
  config.public_key_pem = rg::testing::public_pem(key.get());
  return {rg::testing::token_pk(alg, key.get(), claims), config};
}

void BM_JwtVerify(benchmark::State& state, const char* alg) {
  auto [token, config] = make(alg);
  rg::proto::JwtVerifier verifier(config);
  rg::proto::JwtClaims claims;
  int64_t now = std::time(nullptr);
  for (auto _ : state) {
    if (verifier.verify(token, now, claims) != rg::proto::JwtError::kNone) {
      state.SkipWithError("the token did not verify");
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK_CAPTURE(BM_JwtVerify, HS256, "HS256");
BENCHMARK_CAPTURE(BM_JwtVerify, RS256, "RS256");
BENCHMARK_CAPTURE(BM_JwtVerify, ES256, "ES256");
BENCHMARK_CAPTURE(BM_JwtVerify, EdDSA, "EdDSA");

// A reconnect with a token the shard verified before: a cache hit.
void BM_TokenCacheHit(benchmark::State& state, const char* alg) {
  auto [token, config] = make(alg);
  rg::gateway::TokenCache cache(config, 4096);
  int64_t now = std::time(nullptr);
  if (cache.check(token, now).error != rg::proto::JwtError::kNone) {
    state.SkipWithError("the token did not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(cache.check(token, now));
}
BENCHMARK_CAPTURE(BM_TokenCacheHit, ES256, "ES256");

}  // namespace
