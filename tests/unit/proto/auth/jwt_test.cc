// JWT verification: every algorithm with a key made here, every refusal (a forged or
// altered signature, "none", an HMAC token against a public key, time, audience, issuer,
// malformed input) and the claims read.

#include "proto/auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "tests/support/jwt_tokens.h"

namespace rg::proto {
namespace {

std::string b64url(std::string_view bytes) {
  return rg::proto::encode_base64url(bytes);
}

using testing::Key;
using testing::public_pem;
using testing::token_hs;
using testing::token_pk;

constexpr int64_t kNow = 1'800'000'000;

TEST(Jwt, HmacTokensVerifyAndTheirClaimsAreRead) {
  JwtConfig config;
  config.secret = "a-secret-of-32-bytes-or-so-00000";
  JwtVerifier verifier(config);
  for (std::string alg : {"HS256", "HS384", "HS512"}) {
    std::string token = token_hs(alg, config.secret,
                                 R"({"sub":"u42","exp":1800000100,"info":{"name": "ann"},)"
                                 R"("rooms":{"join":["lobby","game:*"],"pub":["game:7"]}})");
    JwtClaims claims;
    ASSERT_EQ(verifier.verify(token, kNow, claims), JwtError::kNone) << alg;
    EXPECT_EQ(claims.sub, "u42");
    EXPECT_EQ(claims.exp, 1800000100);
    EXPECT_EQ(claims.info, R"({"name":"ann"})");
    EXPECT_TRUE(claims.may_join("lobby"));
    EXPECT_TRUE(claims.may_join("game:12"));
    EXPECT_FALSE(claims.may_join("lobby2"));
    EXPECT_TRUE(claims.may_publish("game:7"));
    EXPECT_FALSE(claims.may_publish("game:70"));
    EXPECT_FALSE(claims.may_publish("lobby"));
  }
  // Without "rooms" every room is allowed; without exp it never expires.
  JwtClaims open;
  ASSERT_EQ(verifier.verify(token_hs("HS256", config.secret, "{}"), kNow, open), JwtError::kNone);
  EXPECT_TRUE(open.may_join("any") && open.may_publish("any"));
  EXPECT_EQ(open.exp, 0);
  EXPECT_EQ(verifier.allowed(), "HS256 HS384 HS512");
}

TEST(Jwt, ForgedAlteredAndNoneTokensAreRefused) {
  JwtConfig config;
  config.secret = "right";
  JwtVerifier verifier(config);
  JwtClaims claims;
  EXPECT_EQ(verifier.verify(token_hs("HS256", "wrong", R"({"sub":"a"})"), kNow, claims),
            JwtError::kSignature);
  std::string token = token_hs("HS256", "right", R"({"sub":"a"})");
  std::string altered = token;
  size_t dot = altered.find('.');
  altered.replace(dot + 1, altered.find('.', dot + 1) - dot - 1, b64url(R"({"sub":"admin"})"));
  EXPECT_EQ(verifier.verify(altered, kNow, claims), JwtError::kSignature);
  std::string none = b64url(R"({"alg":"none"})") + "." + b64url(R"({"sub":"a"})") + ".";
  EXPECT_EQ(verifier.verify(none, kNow, claims), JwtError::kAlgorithm);
  std::string rs = b64url(R"({"alg":"RS256"})") + "." + b64url("{}") + "." + b64url("x");
  EXPECT_EQ(verifier.verify(rs, kNow, claims), JwtError::kAlgorithm);  // no public key
  for (std::string bad : {std::string(), std::string("a.b"), std::string("a.b.c.d"),
                          std::string("!!.e30."), token + "=", std::string("e30.e30.e30"),
                          b64url("[1]") + "." + b64url("{}") + ".", std::string(20000, 'a')}) {
    EXPECT_NE(verifier.verify(bad, kNow, claims), JwtError::kNone) << bad;
  }
}

TEST(Jwt, TimesAudienceAndIssuerAreChecked) {
  JwtConfig config;
  config.secret = "s";
  config.audience = "games";
  config.issuer = "https://auth.example";
  JwtVerifier verifier(config);
  JwtClaims claims;
  auto t = [&](const std::string& claims_json) {
    return verifier.verify(token_hs("HS256", "s", claims_json), kNow, claims);
  };
  std::string ok = R"("aud":"games","iss":"https://auth.example")";
  EXPECT_EQ(t("{" + ok + "}"), JwtError::kNone);
  EXPECT_EQ(t(R"({"aud":["x","games"],"iss":"https://auth.example"})"), JwtError::kNone);
  EXPECT_EQ(t(R"({"aud":"other","iss":"https://auth.example"})"), JwtError::kAudience);
  EXPECT_EQ(t(R"({"iss":"https://auth.example"})"), JwtError::kAudience);
  EXPECT_EQ(t(R"({"aud":"games","iss":"evil"})"), JwtError::kIssuer);
  EXPECT_EQ(t("{" + ok + R"(,"exp":1799999990})"), JwtError::kExpired);
  EXPECT_EQ(t("{" + ok + R"(,"exp":1799999997})"), JwtError::kNone);  // within the leeway
  EXPECT_EQ(t("{" + ok + R"(,"nbf":1800000060})"), JwtError::kNotYetValid);
  EXPECT_EQ(t("{" + ok + R"(,"exp":"soon"})"), JwtError::kClaims);
  EXPECT_EQ(t("{" + ok + R"(,"sub":7})"), JwtError::kClaims);
  EXPECT_EQ(t("{" + ok + R"(,"rooms":{"join":[1]}})"), JwtError::kClaims);
  EXPECT_EQ(t("{" + ok + R"(,"info":"x"})"), JwtError::kClaims);
}

TEST(Jwt, PublicKeyAlgorithmsVerifyOnlyWithTheirKey) {
  struct Case {
    const char* alg;
    Key key, other;
  };
  Case cases[] = {
      {"RS256", Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})),
       Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}))},
      {"ES256", Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")),
       Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"))},
      {"EdDSA", Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")),
       Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"))},
  };
  for (Case& c : cases) {
    ASSERT_TRUE(c.key && c.other) << c.alg;
    JwtConfig config;
    config.public_key_pem = public_pem(c.key.get());
    JwtVerifier verifier(config);
    EXPECT_EQ(verifier.allowed(), c.alg);
    JwtClaims claims;
    std::string token = token_pk(c.alg, c.key.get(), R"({"sub":"pk","exp":1800000100})");
    EXPECT_EQ(verifier.verify(token, kNow, claims), JwtError::kNone) << c.alg;
    EXPECT_EQ(claims.sub, "pk");
    EXPECT_EQ(verifier.verify(token_pk(c.alg, c.other.get(), "{}"), kNow, claims),
              JwtError::kSignature)
        << c.alg;
    // The key-confusion attack: an HMAC token keyed with the public key's PEM.
    EXPECT_EQ(verifier.verify(token_hs("HS256", config.public_key_pem, "{}"), kNow, claims),
              JwtError::kAlgorithm)
        << c.alg;
  }
  JwtConfig bad;
  bad.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n";
  EXPECT_THROW(JwtVerifier{bad}, std::runtime_error);
}

TEST(Jwt, Base64UrlIsStrict) {
  std::string out;
  EXPECT_TRUE(decode_base64url("aGk", out));
  EXPECT_EQ(out, "hi");
  EXPECT_FALSE(decode_base64url("aGk=", out));  // no padding
  EXPECT_FALSE(decode_base64url("aGl", out));   // non-zero leftover bits: not canonical
  EXPECT_FALSE(decode_base64url("a", out));
  EXPECT_FALSE(decode_base64url("a+b/", out));
  EXPECT_TRUE(decode_base64url("-_8", out));
}

}  // namespace
}  // namespace rg::proto
