#pragma once
// One shard's verified tokens: a JwtVerifier, and the claims of the tokens it verified
// kept until they expire, so that a reconnect storm with ES256 or EdDSA tokens (thousands
// of verifications a second at most) costs a hash lookup per reconnect instead. Bounded:
// past --max-connections' share the oldest entries go first. Single-threaded (its shard's).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/rooms/room_message.h"
#include "proto/auth/jwt.h"

namespace rg::gateway {

using SharedClaims = std::shared_ptr<const proto::JwtClaims>;

class TokenCache {
 public:
  TokenCache(const proto::JwtConfig& config, size_t capacity);

  struct Verdict {
    proto::JwtError error = proto::JwtError::kNone;
    SharedClaims claims;  // set when error is kNone
  };
  // `now_s`: seconds since the epoch.
  Verdict check(std::string_view token, int64_t now_s);

  uint64_t hits() const noexcept { return hits_; }
  uint64_t verified() const noexcept { return verified_; }

 private:
  proto::JwtVerifier verifier_;
  size_t capacity_;
  std::unordered_map<std::string, SharedClaims, StringHash, std::equal_to<>> cache_;
  std::deque<std::string> order_;  // oldest first (a key may be stale: erased already)
  uint64_t hits_ = 0;
  uint64_t verified_ = 0;
};

}  // namespace rg::gateway
