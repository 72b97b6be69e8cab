#pragma once
// Per client address limits on one shard's accepts: connections open at once, and new
// connections per second (a token bucket, a second's burst). The kernel spreads one
// address's connections over the shards (SO_REUSEPORT hashes the 4-tuple), so each shard
// holds its share of the gateway's limits (rounded up). Bounded: at most `max_tracked`
// addresses; when full, addresses with nothing open and a full bucket are forgotten, and
// if none can be, a new address is let through untracked (failing open beats refusing
// everyone during an attack from very many addresses).

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace rg::core {

struct IpLimitConfig {
  uint32_t max_conns = 0;  // open at once per address (0: no limit)
  uint32_t conn_rate = 0;  // new per second per address, bursts of as many (0: no limit)
  size_t max_tracked = 65536;
  bool on() const noexcept { return max_conns != 0 || conn_rate != 0; }
};

class IpLimits {
 public:
  enum class Verdict : uint8_t { kAdmit, kTooMany, kTooFast };

  explicit IpLimits(const IpLimitConfig& config) : config_(config) {}

  // The address key of an accepted socket (0: unknown; never limited).
  static uint64_t key_of(int fd) noexcept;
  static uint64_t key_of(const sockaddr_storage& address) noexcept;
  // A new connection from `key` at `now_ms`; kAdmit counts it open (release() later).
  [[nodiscard]] Verdict admit(uint64_t key, uint64_t now_ms) noexcept;
  void release(uint64_t key) noexcept;
  size_t tracked() const noexcept { return table_.size(); }

 private:
  struct Entry {
    uint32_t open = 0;
    uint64_t tokens = 0;  // thousandths of a connection
    uint64_t last_ms = 0;
  };
  void sweep(uint64_t now_ms) noexcept;

  IpLimitConfig config_;
  std::unordered_map<uint64_t, Entry> table_;
};

}  // namespace rg::core
