#pragma once
// Per-connection rate limits: a token bucket of requests and one of bytes, both refilled
// continuously and holding at most one second's worth (the burst). A request past either
// is refused, not executed; a connection refused again and again for `grace_ms` (no
// quiet second between refusals) is cut off. Integer arithmetic on the shard's loop clock:
// no clock read, no allocation, no shared cache line per request.

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace rg::gateway {

struct RateLimits {
  uint64_t messages_per_s = 0;  // requests per second, burst the same (0: no limit)
  uint64_t bytes_per_s = 0;     // request bytes per second, burst the same (0: no limit)
  uint64_t grace_ms = 5000;     // refused this long without a quiet second: cut off
  bool on() const noexcept { return messages_per_s != 0 || bytes_per_s != 0; }
};

class RateBucket {
 public:
  enum class Verdict : uint8_t { kPass, kMessages, kBytes, kCutOff };

  // One request of `bytes` at `now_ms` (the shard's loop clock, never 0).
  [[nodiscard]] Verdict take(const RateLimits& limits, uint64_t now_ms, size_t bytes) noexcept {
    // Tokens are kept in thousandths, so that a millisecond's refill is exact.
    const uint64_t message_cap = limits.messages_per_s * 1000;
    const uint64_t byte_cap = limits.bytes_per_s * 1000;
    if (last_ms_ == 0) {  // a new connection starts with a full burst
      messages_ = message_cap;
      bytes_ = byte_cap;
    } else if (now_ms > last_ms_) {
      uint64_t elapsed = std::min<uint64_t>(now_ms - last_ms_, 1000);
      messages_ = std::min(message_cap, messages_ + elapsed * limits.messages_per_s);
      bytes_ = std::min(byte_cap, bytes_ + elapsed * limits.bytes_per_s);
    }
    last_ms_ = now_ms;
    Verdict refused = Verdict::kPass;
    uint64_t byte_cost = uint64_t{bytes} * 1000;
    if (limits.messages_per_s != 0 && messages_ < 1000) {
      refused = Verdict::kMessages;
    } else if (limits.bytes_per_s != 0 && bytes_ < byte_cost) {
      // A request larger than the whole burst could never pass: it passes on a full
      // bucket and leaves it empty, so the limit bounds the rate, not the request size.
      if (bytes_ < byte_cap) refused = Verdict::kBytes;
    }
    if (refused == Verdict::kPass) {
      if (limits.messages_per_s != 0) messages_ -= 1000;
      if (limits.bytes_per_s != 0) bytes_ -= std::min(bytes_, byte_cost);
      return Verdict::kPass;
    }
    // A streak of refusals ends with a quiet second.
    if (streak_start_ms_ == 0 || now_ms - last_refused_ms_ > 1000) streak_start_ms_ = now_ms;
    last_refused_ms_ = now_ms;
    if (now_ms - streak_start_ms_ >= limits.grace_ms) return Verdict::kCutOff;
    return refused;
  }

 private:
  uint64_t messages_ = 0;  // thousandths of a request
  uint64_t bytes_ = 0;     // thousandths of a byte
  uint64_t last_ms_ = 0;
  uint64_t streak_start_ms_ = 0;
  uint64_t last_refused_ms_ = 0;
};

}  // namespace rg::gateway
