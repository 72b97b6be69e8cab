// What a reconnect storm with tokens costs a shard: verifying a token (HS256, ES256,
// EdDSA, RS256), against finding it in the shard's cache of verified tokens.

#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <ctime>
#include <memory>
#include <string>

#include "gateway/rooms/token_cache.h"
#include "proto/auth/jwt.h"

namespace {

using rg::proto::encode_base64url;

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

std::string der_to_raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

// A token for `alg` and its verifier's configuration.
std::pair<std::string, rg::proto::JwtConfig> make(const std::string& alg) {
  std::string claims = R"({"sub":"bench","exp":)" + std::to_string(std::time(nullptr) + 3600) +
                       R"(,"rooms":{"join":["game:*"],"pub":["game:*"]}})";
  std::string signed_part =
      encode_base64url(R"({"alg":")" + alg + R"("})") + "." + encode_base64url(claims);
  rg::proto::JwtConfig config;
  std::string sig;
  if (alg == "HS256") {
    config.secret = "a-secret-of-32-bytes-or-so-00000";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), config.secret.data(), static_cast<int>(config.secret.size()),
         reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &n);
    sig.assign(reinterpret_cast<char*>(mac), n);
  } else {
    Key key(alg == "RS256"   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
            : alg == "ES256" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    config.public_key_pem = public_pem(key.get());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t size = 0;
    const EVP_MD* md = alg == "EdDSA" ? nullptr : EVP_sha256();
    EVP_DigestSignInit(ctx, nullptr, md, nullptr, key.get());
    EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(signed_part.data()),
                   signed_part.size());
    sig.resize(size);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size,
                   reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    sig.resize(size);
    EVP_MD_CTX_free(ctx);
    if (alg == "ES256") sig = der_to_raw(sig);
  }
  return {signed_part + "." + encode_base64url(sig), config};
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
