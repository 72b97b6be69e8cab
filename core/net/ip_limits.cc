#include "core/net/ip_limits.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace rg::core {

namespace {

uint64_t fnv1a(const void* data, size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h | 1;  // never 0
}

}  // namespace

uint64_t IpLimits::key_of(const sockaddr_storage& address) noexcept {
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    return fnv1a(&v4.sin_addr, sizeof v4.sin_addr);
  }
  if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    // An IPv4-mapped address is the IPv4 one.
    if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) return fnv1a(v6.sin6_addr.s6_addr + 12, 4);
    return fnv1a(&v6.sin6_addr, sizeof v6.sin6_addr);
  }
  return 0;
}

uint64_t IpLimits::key_of(int fd) noexcept {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return key_of(address);
}

void IpLimits::sweep(uint64_t now_ms) noexcept {
  const uint64_t full = uint64_t{config_.conn_rate} * 1000;
  for (auto it = table_.begin(); it != table_.end();) {
    const Entry& e = it->second;
    uint64_t refilled = e.tokens + (now_ms - e.last_ms) * config_.conn_rate;
    if (e.open == 0 && (config_.conn_rate == 0 || refilled >= full)) {
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
}

IpLimits::Verdict IpLimits::admit(uint64_t key, uint64_t now_ms) noexcept {
  if (key == 0 || !config_.on()) return Verdict::kAdmit;
  auto it = table_.find(key);
  if (it == table_.end()) {
    if (table_.size() >= config_.max_tracked) sweep(now_ms);
    if (table_.size() >= config_.max_tracked) return Verdict::kAdmit;  // untracked: fail open
    it = table_.emplace(key, Entry{0, uint64_t{config_.conn_rate} * 1000, now_ms}).first;
  }
  Entry& e = it->second;
  if (config_.conn_rate != 0) {
    uint64_t full = uint64_t{config_.conn_rate} * 1000;
    e.tokens =
        std::min(full, e.tokens + (now_ms - std::min(now_ms, e.last_ms)) * config_.conn_rate);
    e.last_ms = now_ms;
  }
  if (config_.max_conns != 0 && e.open >= config_.max_conns) return Verdict::kTooMany;
  if (config_.conn_rate != 0) {
    if (e.tokens < 1000) return Verdict::kTooFast;
    e.tokens -= 1000;
  }
  ++e.open;
  return Verdict::kAdmit;
}

void IpLimits::release(uint64_t key) noexcept {
  auto it = table_.find(key);
  if (it == table_.end() || it->second.open == 0) return;
  --it->second.open;
}

}  // namespace rg::core
