#include "gateway/transports/udp_cookie.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace rg::gateway {

namespace {

constexpr uint64_t kCookieWindowS = 60;

// The bytes that identify a UDP peer: family, port and address (not the padding).
size_t address_bytes(const sockaddr* address, socklen_t length, unsigned char* out) {
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    auto* in = reinterpret_cast<const sockaddr_in*>(address);
    std::memcpy(out, &in->sin_family, sizeof in->sin_family);
    std::memcpy(out + 2, &in->sin_port, 2);
    std::memcpy(out + 4, &in->sin_addr, 4);
    return 8;
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::memcpy(out, &in6->sin6_family, sizeof in6->sin6_family);
    std::memcpy(out + 2, &in6->sin6_port, 2);
    std::memcpy(out + 4, &in6->sin6_addr, 16);
    return 20;
  }
  return 0;
}

}  // namespace

CookieKey CookieKey::random() {
  std::array<std::byte, 32> key;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("could not draw a random UDP cookie key (RAND_bytes)");
  }
  return CookieKey(key);
}

CookieKey::CookieKey(std::span<const std::byte, 32> key) noexcept {
  std::memcpy(key_.data(), key.data(), key.size());
}

Cookie CookieKey::make(const sockaddr* address, socklen_t length, uint64_t now_s) const noexcept {
  unsigned char input[8 + 20];
  uint64_t window = now_s / kCookieWindowS;
  std::memcpy(input, &window, 8);
  size_t n = 8 + address_bytes(address, length, input + 8);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), input, n, digest, &digest_length);
  Cookie cookie;
  std::memcpy(cookie.data(), digest, cookie.size());
  return cookie;
}

bool CookieKey::check(std::span<const std::byte> cookie, const sockaddr* address, socklen_t length,
                      uint64_t now_s) const noexcept {
  if (cookie.size() != proto::kCookieBytes) return false;
  for (uint64_t back = 0; back <= 1; ++back) {
    if (now_s < back * kCookieWindowS) break;
    Cookie expected = make(address, length, now_s - back * kCookieWindowS);
    if (CRYPTO_memcmp(expected.data(), cookie.data(), expected.size()) == 0) return true;
  }
  return false;
}

}  // namespace rg::gateway
