#include "gateway/sio/eio_sid.h"

#include <openssl/rand.h>

#include <cstdint>
#include <cstdlib>

namespace rg::gateway {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kSidBytes = 16;
constexpr size_t kSidChars = 22;  // ceil(16 * 8 / 6)

int value_of(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

std::string issue_sid(unsigned shard) {
  unsigned char bytes[kSidBytes];
  bytes[0] = static_cast<unsigned char>(shard);
  if (RAND_bytes(bytes + 1, kSidBytes - 1) != 1) {
    std::abort();  // no randomness: no session could be kept safe (an impossible state)
  }
  std::string sid;
  sid.reserve(kSidChars);
  uint32_t bits = 0;
  int count = 0;
  for (unsigned char b : bytes) {
    bits = bits << 8 | b;
    count += 8;
    while (count >= 6) {
      count -= 6;
      sid += kAlphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) sid += kAlphabet[(bits << (6 - count)) & 63];
  return sid;
}

int sid_home(std::string_view sid, unsigned shards) noexcept {
  if (sid.size() != kSidChars) return -1;
  for (char c : sid) {
    if (value_of(c) < 0) return -1;
  }
  // The first byte is the first 6 bits of the first character and 2 of the second.
  unsigned shard = static_cast<unsigned>(value_of(sid[0]) << 2 | value_of(sid[1]) >> 4);
  return shard < shards ? static_cast<int>(shard) : -1;
}

}  // namespace rg::gateway
