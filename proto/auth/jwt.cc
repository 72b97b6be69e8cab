#include "proto/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include <cmath>
#include <stdexcept>

namespace rg::proto {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

enum class Alg : uint8_t { kHS256, kHS384, kHS512, kRS256, kES256, kEdDSA, kUnknown };

Alg alg_of(std::string_view name) noexcept {
  if (name == "HS256") return Alg::kHS256;
  if (name == "HS384") return Alg::kHS384;
  if (name == "HS512") return Alg::kHS512;
  if (name == "RS256") return Alg::kRS256;
  if (name == "ES256") return Alg::kES256;
  if (name == "EdDSA") return Alg::kEdDSA;
  return Alg::kUnknown;
}

int8_t base64url_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return static_cast<int8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<int8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<int8_t>(c - '0' + 52);
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// A JSON number claim in whole seconds (JWT's NumericDate may have a fraction).
bool seconds_of(element value, int64_t& out) noexcept {
  double d = 0;
  if (value.get_double().get(d) || !std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return false;
  out = static_cast<int64_t>(std::floor(d));
  return true;
}

bool string_list(element value, std::vector<std::string>& out) {
  simdjson::dom::array list;
  if (value.get_array().get(list)) return false;
  for (element item : list) {
    std::string_view s;
    if (item.get_string().get(s)) return false;
    out.emplace_back(s);
  }
  return true;
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};

}  // namespace

struct JwtVerifier::Impl {
  JwtConfig config;
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  Alg key_alg = Alg::kUnknown;  // the one algorithm the public key allows
  simdjson::dom::parser json;
  std::string header, payload, signature, scratch;

  bool allows(Alg alg) const noexcept {
    if (alg == Alg::kHS256 || alg == Alg::kHS384 || alg == Alg::kHS512) {
      return !config.secret.empty();
    }
    return key && alg == key_alg;
  }

  bool verify_signature(Alg alg, std::string_view signed_part) {
    const auto* data = reinterpret_cast<const unsigned char*>(signed_part.data());
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    switch (alg) {
      case Alg::kHS256:
      case Alg::kHS384:
      case Alg::kHS512: {
        const EVP_MD* md = alg == Alg::kHS256   ? EVP_sha256()
                           : alg == Alg::kHS384 ? EVP_sha384()
                                                : EVP_sha512();
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_size = 0;
        if (HMAC(md, config.secret.data(), static_cast<int>(config.secret.size()), data,
                 signed_part.size(), mac, &mac_size) == nullptr) {
          return false;
        }
        return signature.size() == mac_size && CRYPTO_memcmp(mac, sig, mac_size) == 0;
      }
      case Alg::kRS256:
      case Alg::kEdDSA:
        return digest_verify(alg == Alg::kRS256 ? EVP_sha256() : nullptr, data, signed_part.size(),
                             sig, signature.size());
      case Alg::kES256: {
        // JWS carries R and S as 32 bytes each; OpenSSL verifies DER.
        if (signature.size() != 64) return false;
        ECDSA_SIG* ecdsa = ECDSA_SIG_new();
        if (ecdsa == nullptr) return false;
        BIGNUM* r = BN_bin2bn(sig, 32, nullptr);
        BIGNUM* s = BN_bin2bn(sig + 32, 32, nullptr);
        if (r == nullptr || s == nullptr || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
          BN_free(r);
          BN_free(s);
          ECDSA_SIG_free(ecdsa);
          return false;
        }
        unsigned char* der = nullptr;
        int der_size = i2d_ECDSA_SIG(ecdsa, &der);
        ECDSA_SIG_free(ecdsa);
        if (der_size <= 0) return false;
        bool ok = digest_verify(EVP_sha256(), data, signed_part.size(), der,
                                static_cast<size_t>(der_size));
        OPENSSL_free(der);
        return ok;
      }
      case Alg::kUnknown:
        break;
    }
    return false;
  }

  bool digest_verify(const EVP_MD* md, const unsigned char* data, size_t size,
                     const unsigned char* sig, size_t sig_size) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) return false;
    bool ok = EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, key.get()) == 1 &&
              EVP_DigestVerify(ctx, sig, sig_size, data, size) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
  }
};

const char* jwt_error_text(JwtError error) noexcept {
  switch (error) {
    case JwtError::kNone:
      return "ok";
    case JwtError::kMalformed:
      return "the token is not a JWT";
    case JwtError::kAlgorithm:
      return "the token's algorithm is not allowed";
    case JwtError::kSignature:
      return "the token's signature does not verify";
    case JwtError::kExpired:
      return "the token has expired";
    case JwtError::kNotYetValid:
      return "the token is not valid yet";
    case JwtError::kAudience:
      return "the token is for another audience";
    case JwtError::kIssuer:
      return "the token is from another issuer";
    case JwtError::kClaims:
      return "a claim of the token has the wrong type";
  }
  return "invalid token";
}

bool room_matches(std::string_view pattern, std::string_view room) noexcept {
  if (!pattern.empty() && pattern.back() == '*') {
    return room.starts_with(pattern.substr(0, pattern.size() - 1));
  }
  return pattern == room;
}

bool JwtClaims::may_join(std::string_view room) const noexcept {
  if (!has_rooms) return true;
  for (const std::string& p : join) {
    if (room_matches(p, room)) return true;
  }
  return false;
}

bool JwtClaims::may_publish(std::string_view room) const noexcept {
  if (!has_rooms) return true;
  for (const std::string& p : pub) {
    if (room_matches(p, room)) return true;
  }
  return false;
}

bool decode_base64url(std::string_view text, std::string& out) {
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    int8_t v = base64url_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>((bits >> held) & 0xff);
    }
  }
  // The bits left over must be zero (a canonical encoding).
  return (bits & ((1u << held) - 1)) == 0;
}

std::string encode_base64url(std::string_view bytes) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t bits = 0;
  int held = 0;
  for (unsigned char c : bytes) {
    bits = (bits << 8) | c;
    held += 8;
    while (held >= 6) {
      held -= 6;
      out += kTable[(bits >> held) & 63];
    }
  }
  if (held > 0) out += kTable[(bits << (6 - held)) & 63];
  return out;
}

JwtVerifier::JwtVerifier(const JwtConfig& config) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  if (!config.public_key_pem.empty()) {
    BIO* bio = BIO_new_mem_buf(config.public_key_pem.data(),
                               static_cast<int>(config.public_key_pem.size()));
    EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (key == nullptr) throw std::runtime_error("the JWT public key is not a PEM public key");
    impl_->key.reset(key);
    switch (EVP_PKEY_get_base_id(key)) {
      case EVP_PKEY_RSA:
        if (EVP_PKEY_get_bits(key) < 2048) {
          throw std::runtime_error("the JWT RSA key is shorter than 2048 bits");
        }
        impl_->key_alg = Alg::kRS256;
        break;
      case EVP_PKEY_EC:
        if (!EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 256) {
          throw std::runtime_error("the JWT EC key is not on P-256 (ES256)");
        }
        impl_->key_alg = Alg::kES256;
        break;
      case EVP_PKEY_ED25519:
        impl_->key_alg = Alg::kEdDSA;
        break;
      default:
        throw std::runtime_error("the JWT public key is neither RSA, P-256 nor Ed25519");
    }
  }
}

JwtVerifier::~JwtVerifier() = default;

std::string JwtVerifier::allowed() const {
  std::string names;
  if (!impl_->config.secret.empty()) names = "HS256 HS384 HS512";
  const char* key = impl_->key_alg == Alg::kRS256   ? "RS256"
                    : impl_->key_alg == Alg::kES256 ? "ES256"
                    : impl_->key_alg == Alg::kEdDSA ? "EdDSA"
                                                    : nullptr;
  if (key != nullptr) names += names.empty() ? key : std::string(" ") + key;
  return names;
}

JwtError JwtVerifier::verify(std::string_view token, int64_t now_s, JwtClaims& out) {
  Impl& m = *impl_;
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos ||
      token.size() > 16384) {
    return JwtError::kMalformed;
  }
  if (!decode_base64url(token.substr(0, first), m.header) ||
      !decode_base64url(token.substr(first + 1, second - first - 1), m.payload) ||
      !decode_base64url(token.substr(second + 1), m.signature)) {
    return JwtError::kMalformed;
  }
  element header;
  std::string_view alg_name;
  if (m.json.parse(m.header).get(header) || header.type() != element_type::OBJECT ||
      header["alg"].get_string().get(alg_name)) {
    return JwtError::kMalformed;
  }
  Alg alg = alg_of(alg_name);
  if (alg == Alg::kUnknown || !m.allows(alg)) return JwtError::kAlgorithm;
  if (!m.verify_signature(alg, token.substr(0, second))) return JwtError::kSignature;

  // The signature holds: the claims.
  element claims;
  if (m.json.parse(m.payload).get(claims) || claims.type() != element_type::OBJECT) {
    return JwtError::kMalformed;
  }
  out = JwtClaims{};
  element value;
  if (!claims["exp"].get(value)) {
    if (!seconds_of(value, out.exp)) return JwtError::kClaims;
    if (now_s > out.exp + m.config.leeway_s) return JwtError::kExpired;
    if (out.exp == 0) out.exp = 1;  // (0 means "never")
  }
  if (!claims["nbf"].get(value)) {
    int64_t nbf = 0;
    if (!seconds_of(value, nbf)) return JwtError::kClaims;
    if (now_s + m.config.leeway_s < nbf) return JwtError::kNotYetValid;
  }
  if (!claims["iat"].get(value)) {
    int64_t iat = 0;
    if (!seconds_of(value, iat)) return JwtError::kClaims;
  }
  if (!m.config.issuer.empty()) {
    std::string_view iss;
    if (claims["iss"].get_string().get(iss) || iss != m.config.issuer) return JwtError::kIssuer;
  }
  if (!m.config.audience.empty()) {
    bool found = false;
    if (!claims["aud"].get(value)) {
      std::string_view aud;
      if (!value.get_string().get(aud)) {
        found = aud == m.config.audience;
      } else {
        simdjson::dom::array list;
        if (!value.get_array().get(list)) {
          for (element item : list) {
            if (!item.get_string().get(aud) && aud == m.config.audience) found = true;
          }
        }
      }
    }
    if (!found) return JwtError::kAudience;
  }
  if (!claims["sub"].get(value)) {
    std::string_view sub;
    if (value.get_string().get(sub)) return JwtError::kClaims;
    out.sub = sub;
  }
  if (!claims["info"].get(value)) {
    if (value.type() != element_type::OBJECT) return JwtError::kClaims;
    out.info = simdjson::minify(value);
  }
  if (!claims["rooms"].get(value)) {
    if (value.type() != element_type::OBJECT) return JwtError::kClaims;
    out.has_rooms = true;
    element list;
    if (!value["join"].get(list) && !string_list(list, out.join)) return JwtError::kClaims;
    if (!value["pub"].get(list) && !string_list(list, out.pub)) return JwtError::kClaims;
  }
  return JwtError::kNone;
}

}  // namespace rg::proto
