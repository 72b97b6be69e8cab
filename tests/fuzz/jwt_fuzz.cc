// libFuzzer: JWT verification on any input. First byte even: the rest is a token, verified
// against an HMAC secret (must never crash, never accept: the fuzzer cannot forge a MAC).
// Odd: the rest is "header \n claims", signed here with the secret, so the claims reader
// sees arbitrary JSON behind a valid signature; whatever it accepts must be consistent.

#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proto/auth/jwt.h"

namespace {

constexpr char kSecret[] = "fuzz-secret";

std::string b64url(std::string_view bytes) {
  return rg::proto::encode_base64url(bytes);
}

rg::proto::JwtVerifier& verifier() {
  static rg::proto::JwtVerifier v([] {
    rg::proto::JwtConfig c;
    c.secret = kSecret;
    c.audience = "aud";
    return c;
  }());
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  rg::proto::JwtClaims claims;
  if ((data[0] & 1) == 0) {
    if (verifier().verify(input, 1'800'000'000, claims) == rg::proto::JwtError::kNone) {
      std::abort();  // accepted without the secret
    }
    return 0;
  }
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return 0;
  std::string signed_part = b64url(input.substr(0, nl)) + "." + b64url(input.substr(nl + 1));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), kSecret, sizeof kSecret - 1,
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac, &n);
  std::string token = signed_part + "." + b64url({reinterpret_cast<char*>(mac), n});
  if (verifier().verify(token, 1'800'000'000, claims) == rg::proto::JwtError::kNone) {
    // Accepted: the patterns behave as documented.
    for (const std::string& p : claims.join) {
      if (!p.empty() && p.back() != '*' && !claims.may_join(p)) std::abort();
    }
    if (!claims.info.empty() && claims.info.front() != '{') std::abort();
  }
  return 0;
}
