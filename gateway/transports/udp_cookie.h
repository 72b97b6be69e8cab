#pragma once
// UDP join cookies: a keyed hash (HMAC-SHA-256, truncated) of the client's address and the
// current minute. Only someone who receives datagrams at an address can learn its cookie,
// so a forged source address cannot be made a room member, and the gateway keeps no state
// for a client until it joins.

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/envelope/envelope.h"

namespace rg::gateway {

using Cookie = std::array<std::byte, proto::kCookieBytes>;

class CookieKey {
 public:
  // A fresh random key (the process's cookies die with it).
  static CookieKey random();
  explicit CookieKey(std::span<const std::byte, 32> key) noexcept;

  // The cookie for `address` in the minute containing `now_s` (seconds).
  Cookie make(const sockaddr* address, socklen_t length, uint64_t now_s) const noexcept;
  // Whether `cookie` was made for `address` this minute or the one before.
  bool check(std::span<const std::byte> cookie, const sockaddr* address, socklen_t length,
             uint64_t now_s) const noexcept;

 private:
  std::array<std::byte, 32> key_{};
};

}  // namespace rg::gateway
