#pragma once
// Signed JWTs for tests and benchmarks: keys made with OpenSSL, tokens signed with them
// (HS256/384/512, RS256, ES256 as JWS's R || S, EdDSA).

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <string_view>

#include "proto/auth/jwt.h"

namespace rg::testing {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

// A new key pair for "RS256" (RSA-2048), "ES256" (P-256) or "EdDSA" (Ed25519).
inline Key new_key(std::string_view alg) {
  if (alg == "RS256") return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  if (alg == "ES256") return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

inline std::string public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  return pem;
}

inline std::string sign(EVP_PKEY* key, const EVP_MD* md, std::string_view data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t size = 0;
  EVP_DigestSignInit(ctx, nullptr, md, nullptr, key);
  EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(data.data()),
                 data.size());
  std::string sig(size, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &size,
                 reinterpret_cast<const unsigned char*>(data.data()), data.size());
  sig.resize(size);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// DER ECDSA to JWS's R || S.
inline std::string raw_ecdsa(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string out(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

inline std::string token_hs(const std::string& alg, const std::string& secret,
                            const std::string& claims) {
  std::string signed_part = proto::encode_base64url(R"({"alg":")" + alg + R"(","typ":"JWT"})") +
                            "." + proto::encode_base64url(claims);
  const EVP_MD* md = alg == "HS256" ? EVP_sha256() : alg == "HS384" ? EVP_sha384() : EVP_sha512();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &n);
  return signed_part + "." + proto::encode_base64url({reinterpret_cast<char*>(mac), n});
}

inline std::string token_pk(const std::string& alg, EVP_PKEY* key, const std::string& claims) {
  std::string signed_part = proto::encode_base64url(R"({"alg":")" + alg + R"("})") + "." +
                            proto::encode_base64url(claims);
  std::string sig;
  if (alg == "RS256") sig = sign(key, EVP_sha256(), signed_part);
  if (alg == "ES256") sig = raw_ecdsa(sign(key, EVP_sha256(), signed_part));
  if (alg == "EdDSA") sig = sign(key, nullptr, signed_part);
  return signed_part + "." + proto::encode_base64url(sig);
}

}  // namespace rg::testing
