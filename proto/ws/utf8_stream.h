#pragma once
// UTF-8 validation of a text message that arrives in pieces (fragments, reads), failing as
// soon as the bytes seen so far cannot begin valid UTF-8 (RFC 6455 8.1: fail fast).
//
// Whole runs are checked with simdjson; only a code point cut by a piece boundary (at
// most 3 bytes) is carried over and checked by hand as a prefix.

#include <cstddef>
#include <cstdint>

namespace rg::proto {

class Utf8Stream {
 public:
  // False once the text seen so far is invalid; it stays false until reset().
  bool feed(const std::byte* data, size_t size) noexcept;
  // True if the text ended on a whole code point (and was valid). Resets.
  bool finish() noexcept;
  void reset() noexcept {
    pending_size_ = 0;
    valid_ = true;
  }

  // One-shot validation of a complete text.
  static bool valid(const std::byte* data, size_t size) noexcept;

 private:
  uint8_t pending_[4] = {};
  uint8_t pending_size_ = 0;
  uint8_t pending_need_ = 0;
  bool valid_ = true;
};

}  // namespace rg::proto
