#pragma once
// The client's side of RFC 6455 framing, for load generators and tools: masked frames
// out, unmasked server frames in.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "proto/ws/ws_frame.h"
#include "proto/ws/ws_unmask.h"

namespace rg::proto {

inline constexpr size_t kMaxClientHeader = 14;

// Writes a masked frame (header, then payload XORed with `mask`) to `out`, which must
// have room for kMaxClientHeader + payload.size() bytes. Returns the frame's size.
inline size_t encode_client_frame(std::byte* out, WsOpcode op, std::span<const std::byte> payload,
                                  uint32_t mask) noexcept {
  size_t n = encode_server_header(out, op, payload.size());
  out[1] |= std::byte{0x80};
  std::memcpy(out + n, &mask, 4);
  const std::byte* key = out + n;
  n += 4;
  std::memcpy(out + n, payload.data(), payload.size());
  unmask(out + n, payload.size(), key, 0);
  return n + payload.size();
}

// Splits the server's byte stream into frames. Frames wholly inside the bytes fed are
// handed out where they lie; others are assembled. Fragmented messages are handed out
// frame by frame, with their opcode and FIN bit: reassembly is the caller's business.
class ServerFrameReader {
 public:
  enum class Error { kNone, kMasked, kTooLarge };

  explicit ServerFrameReader(size_t max_frame) noexcept : max_frame_(max_frame) {}

  // on_frame(WsOpcode op, bool fin, std::span<const std::byte> payload)
  template <class OnFrame>
  Error feed(std::span<const std::byte> in, OnFrame&& on_frame) {
    const std::byte* p = in.data();
    const std::byte* end = p + in.size();
    while (p < end) {
      if (!have_header_) {
        // Gather the header (2 to 10 bytes) in header_, unless it is all here.
        size_t avail = static_cast<size_t>(end - p);
        if (header_size_ == 0 && avail >= 2 && avail >= size_from(p[1])) {
          if (Error e = start(p); e != Error::kNone) return e;
          p += size_from(p[1]);
        } else {
          header_[header_size_++] = *p++;
          if (header_size_ < 2 || header_size_ < size_from(header_[1])) continue;
          if (Error e = start(header_); e != Error::kNone) return e;
          header_size_ = 0;
        }
        if (length_ == 0) {
          on_frame(op_, fin_, std::span<const std::byte>());
          have_header_ = false;
        }
        continue;
      }
      size_t take = std::min<size_t>(static_cast<size_t>(end - p), length_ - partial_.size());
      if (partial_.empty() && take == length_) {
        on_frame(op_, fin_, std::span<const std::byte>(p, take));
      } else {
        partial_.insert(partial_.end(), p, p + take);
        if (partial_.size() == length_) {
          on_frame(op_, fin_, std::span<const std::byte>(partial_));
          partial_.clear();
        }
      }
      p += take;
      if (partial_.empty()) have_header_ = false;
    }
    return Error::kNone;
  }

 private:
  static size_t size_from(std::byte b1) noexcept {
    size_t len7 = std::to_integer<size_t>(b1 & std::byte{0x7F});
    return len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
  }
  Error start(const std::byte* h) noexcept {
    auto b0 = std::to_integer<uint8_t>(h[0]);
    op_ = static_cast<WsOpcode>(b0 & 0x0F);
    fin_ = b0 & 0x80;
    if (std::to_integer<bool>(h[1] & std::byte{0x80})) return Error::kMasked;
    size_t len7 = std::to_integer<size_t>(h[1] & std::byte{0x7F});
    uint64_t length = len7;
    if (len7 == 126)
      length = std::to_integer<uint64_t>(h[2]) << 8 | std::to_integer<uint64_t>(h[3]);
    if (len7 == 127) {
      length = 0;
      for (int i = 0; i < 8; ++i) length = length << 8 | std::to_integer<uint64_t>(h[2 + i]);
    }
    if (length > max_frame_) return Error::kTooLarge;
    length_ = length;
    have_header_ = true;
    return Error::kNone;
  }

  size_t max_frame_;
  std::byte header_[10] = {};
  size_t header_size_ = 0;
  bool have_header_ = false;
  WsOpcode op_ = WsOpcode::kBinary;
  bool fin_ = true;
  uint64_t length_ = 0;
  std::vector<std::byte> partial_;
};

}  // namespace rg::proto
