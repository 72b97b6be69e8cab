#include "proto/ws/utf8_stream.h"

#include <simdjson.h>

#include <cstring>

namespace rg::proto {

namespace {

// Length of the sequence a lead byte starts; 0 for a byte that cannot lead.
uint8_t sequence_length(uint8_t lead) noexcept {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `size` bytes (fewer than the whole sequence) can begin a valid code point
// (Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_prefix(const uint8_t* s, size_t size) noexcept {
  if (size == 0) return true;
  if (sequence_length(s[0]) < 2) return false;
  if (size >= 2) {
    uint8_t lo = 0x80, hi = 0xBF;
    if (s[0] == 0xE0) lo = 0xA0;
    if (s[0] == 0xED) hi = 0x9F;
    if (s[0] == 0xF0) lo = 0x90;
    if (s[0] == 0xF4) hi = 0x8F;
    if (s[1] < lo || s[1] > hi) return false;
  }
  for (size_t i = 2; i < size; ++i) {
    if ((s[i] & 0xC0) != 0x80) return false;
  }
  return true;
}

// Short pieces that are all ASCII (most small game and trading messages) are settled
// with a few word loads; simdjson's set-up costs more than that below a cache line.
bool short_ascii(const uint8_t* data, size_t size) noexcept {
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    high |= word;
  }
  for (; i < size; ++i) high |= data[i];
  return (high & 0x8080808080808080ull) == 0;
}

bool simd_valid(const uint8_t* data, size_t size) noexcept {
  if (size <= 64 && short_ascii(data, size)) return true;
  return size == 0 || simdjson::validate_utf8(reinterpret_cast<const char*>(data), size);
}

}  // namespace

bool Utf8Stream::valid(const std::byte* data, size_t size) noexcept {
  return simd_valid(reinterpret_cast<const uint8_t*>(data), size);
}

bool Utf8Stream::feed(const std::byte* data, size_t size) noexcept {
  if (!valid_) return false;
  auto* p = reinterpret_cast<const uint8_t*>(data);
  // Complete the code point left over from the previous piece.
  while (pending_size_ > 0 && size > 0) {
    pending_[pending_size_++] = *p++;
    --size;
    if (pending_size_ == pending_need_) {
      if (!simd_valid(pending_, pending_size_)) return valid_ = false;
      pending_size_ = 0;
    } else if (!valid_prefix(pending_, pending_size_)) {
      return valid_ = false;
    }
  }
  if (size == 0) return true;
  // Find a code point cut by the end of this piece: a lead byte among the last three whose
  // sequence runs past the end.
  size_t tail = 0;
  for (size_t back = 1; back <= 3 && back <= size; ++back) {
    uint8_t b = p[size - back];
    if ((b & 0xC0) == 0x80) continue;  // a continuation byte: keep looking for the lead
    uint8_t need = sequence_length(b);
    if (need > back) {
      tail = back;
      pending_need_ = need;
    }
    break;
  }
  if (!simd_valid(p, size - tail)) return valid_ = false;
  for (size_t i = 0; i < tail; ++i) pending_[i] = p[size - tail + i];
  pending_size_ = static_cast<uint8_t>(tail);
  if (!valid_prefix(pending_, pending_size_)) return valid_ = false;
  return true;
}

bool Utf8Stream::finish() noexcept {
  bool ok = valid_ && pending_size_ == 0;
  reset();
  return ok;
}

}  // namespace rg::proto
