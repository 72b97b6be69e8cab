#pragma once
// JSON Web Tokens (RFC 7519) in compact form, verified with OpenSSL 3 and read with
// simdjson: HS256/384/512 with a shared secret, RS256, ES256 and EdDSA (Ed25519) with a
// public key. The algorithm a token names must be one its key allows (a secret: HS*; an
// RSA key: RS256; a P-256 key: ES256; an Ed25519 key: EdDSA): "none", and an HS* token
// against a public key (the key-confusion attack), are refused. HMACs are compared in
// constant time. Then the claims: exp and nbf (with leeway), aud and iss when configured,
// sub, info (presence info, a JSON object) and rooms {join:[patterns], pub:[patterns]}.
//
// Why in-house: Debian 12's libjwt has no EdDSA and no claim checks (and compares HMACs
// with strcmp upstream); libcpp-jwt drags nlohmann-json in and compares HMACs with ==.
// This is about 300 lines on OpenSSL, which is linked already.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rg::proto {

enum class JwtError : uint8_t {
  kNone,
  kMalformed,    // not three base64url parts, or a part that is not the JSON it must be
  kAlgorithm,    // "none", or an algorithm the configured key does not allow
  kSignature,    // the signature does not verify
  kExpired,      // exp is past (beyond the leeway)
  kNotYetValid,  // nbf is ahead (beyond the leeway)
  kAudience,     // --jwt-audience is set and the token is not for it
  kIssuer,       // --jwt-issuer is set and the token is not from it
  kClaims,       // a claim of the wrong type (sub not a string, rooms not lists of strings)
};

const char* jwt_error_text(JwtError error) noexcept;

// What a verified token says.
struct JwtClaims {
  std::string sub;                // the user id ("" when absent)
  int64_t exp = 0;                // seconds since the epoch; 0: never expires
  std::string info;               // a JSON object's text (minified), "" when absent
  bool has_rooms = false;         // without "rooms": every room may be joined and published to
  std::vector<std::string> join;  // patterns: a room name, or a prefix ending in '*'
  std::vector<std::string> pub;

  bool may_join(std::string_view room) const noexcept;
  bool may_publish(std::string_view room) const noexcept;
};

// True when `room` is `pattern`, or starts with it less its final '*'.
bool room_matches(std::string_view pattern, std::string_view room) noexcept;

struct JwtConfig {
  std::string secret;          // HS256/384/512 (empty: none)
  std::string public_key_pem;  // RS256, ES256 or EdDSA, by the key's type (empty: none)
  std::string audience;        // checked when set
  std::string issuer;          // checked when set
  int64_t leeway_s = 5;        // clock skew allowed on exp and nbf
};

class JwtVerifier {
 public:
  // Throws std::runtime_error (start-up only) for a key OpenSSL cannot read, or one of a
  // type no algorithm here verifies.
  explicit JwtVerifier(const JwtConfig& config);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Verifies `token` at `now_s` (seconds since the epoch). Safe on any input. Not
  // thread-safe (its parser): one verifier per shard.
  [[nodiscard]] JwtError verify(std::string_view token, int64_t now_s, JwtClaims& out);

  // The algorithm names the configured key allows, for messages ("HS256 HS384 HS512").
  std::string allowed() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// base64url without padding (RFC 7515 2); false on any other character or a length that
// cannot be one.
[[nodiscard]] bool decode_base64url(std::string_view text, std::string& out);
std::string encode_base64url(std::string_view bytes);

}  // namespace rg::proto
