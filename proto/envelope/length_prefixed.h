#pragma once
// Raw TCP framing: each frame is a 4-byte little-endian payload length, then the payload.
//
// The parser works in place: a frame wholly inside the bytes it is fed is handed out as a
// view into them, with no copy. Only a frame split across reads is assembled, once, in the
// parser's own buffer, which grows as bytes arrive (never to a size a header merely
// claims) and is given back when the frame is done, so an idle connection holds nothing.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace rg::proto {

enum class FrameError {
  kNone,
  kOversize,  // a header announced more than the configured maximum
};

class LengthPrefixedParser {
 public:
  static constexpr size_t kHeaderSize = 4;

  explicit LengthPrefixedParser(uint32_t max_payload) noexcept : max_payload_(max_payload) {}

  // Feeds received bytes; calls on_frame(std::span<const std::byte> payload) for each frame
  // completed by them, in order. Stops at the first error, which sticks: a stream that has
  // lost its framing cannot be resynchronised.
  template <class OnFrame>
  FrameError feed(std::span<const std::byte> in, OnFrame&& on_frame) {
    if (error_ != FrameError::kNone) return error_;
    const std::byte* p = in.data();
    const std::byte* end = p + in.size();
    while (p != end) {
      if (have_header_ < kHeaderSize) {
        if (have_header_ == 0 && partial_.empty() && end - p >= ptrdiff_t{kHeaderSize}) {
          // Fast path: the whole header, and maybe the whole frame, is in this read.
          uint32_t length = load_le32(p);
          if (length > max_payload_) return error_ = FrameError::kOversize;
          if (static_cast<size_t>(end - p) >= kHeaderSize + length) {
            ++frames_completed_;
            on_frame(std::span<const std::byte>(p + kHeaderSize, length));
            p += kHeaderSize + length;
            continue;
          }
        }
        size_t take = std::min<size_t>(kHeaderSize - have_header_, static_cast<size_t>(end - p));
        std::memcpy(header_ + have_header_, p, take);
        have_header_ += take;
        p += take;
        if (have_header_ < kHeaderSize) break;
        need_ = load_le32(header_);
        if (need_ > max_payload_) return error_ = FrameError::kOversize;
        if (need_ == 0) {
          ++frames_completed_;
          on_frame(std::span<const std::byte>());
          have_header_ = 0;
          continue;
        }
        partial_.clear();
        continue;
      }
      // Assembling a frame that started in an earlier read.
      size_t take = std::min<size_t>(need_ - partial_.size(), static_cast<size_t>(end - p));
      partial_.insert(partial_.end(), p, p + take);
      p += take;
      if (partial_.size() == need_) {
        ++frames_completed_;
        on_frame(std::span<const std::byte>(partial_.data(), partial_.size()));
        reset_partial();
      }
    }
    return FrameError::kNone;
  }

  // Bytes of an unfinished frame held by the parser.
  size_t buffered() const noexcept { return have_header_ + partial_.size(); }
  // Memory held for the unfinished frame.
  size_t held_bytes() const noexcept { return partial_.capacity(); }
  // A frame has begun to arrive and is not complete.
  bool mid_frame() const noexcept { return have_header_ > 0; }
  // Frames completed so far.
  uint64_t frames_completed() const noexcept { return frames_completed_; }
  FrameError error() const noexcept { return error_; }

  // The 4-byte header for a payload of `length` bytes.
  static void write_header(std::byte* out, uint32_t length) noexcept {
    for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>(length >> (8 * i));
  }

 private:
  static uint32_t load_le32(const std::byte* p) noexcept {
    return std::to_integer<uint32_t>(p[0]) | std::to_integer<uint32_t>(p[1]) << 8 |
           std::to_integer<uint32_t>(p[2]) << 16 | std::to_integer<uint32_t>(p[3]) << 24;
  }
  void reset_partial() noexcept {
    have_header_ = 0;
    need_ = 0;
    // Keep a small buffer for the next split frame; give a large one back.
    if (partial_.capacity() > kKeepCapacity) {
      std::vector<std::byte>().swap(partial_);
    } else {
      partial_.clear();
    }
  }

  static constexpr size_t kKeepCapacity = 4096;
  uint32_t max_payload_;
  uint32_t need_ = 0;
  size_t have_header_ = 0;
  uint64_t frames_completed_ = 0;
  std::byte header_[kHeaderSize] = {};
  std::vector<std::byte> partial_;
  FrameError error_ = FrameError::kNone;
};

}  // namespace rg::proto
