#pragma once
// The WebSocket frame parser (RFC 6455 5): a state machine over received bytes, with no
// I/O and no virtual calls. It is a template over its handler, which must provide:
//
//   void on_message(WsOpcode op, std::span<std::byte> payload, const core::BlockRef* block);
//       A whole text or binary message. With block == nullptr the payload lies in the
//       caller's receive buffer and at least server_header_size(payload.size()) writable
//       bytes precede it (the client's own frame header was there): a reply header can be
//       written in front of it. Otherwise the payload was assembled in *block, preceded
//       by kMaxServerHeader bytes of headroom and followed by kAssemblyTailroom readable
//       bytes (simdjson's padding).
//   void on_ping(std::span<const std::byte> payload);
//   void on_pong(std::span<const std::byte> payload);
//   void on_close(uint16_t code, std::span<const std::byte> reason);  // kNoStatus: no code
//   void on_error(uint16_t close_code, const char* why);  // the peer broke the protocol
//
// Payloads are unmasked in place. A message wholly inside one feed() is handed out where
// it lies, never copied; one that spans reads or frames is assembled once, in a block
// that grows with the bytes that actually arrive. Text is checked as UTF-8 as it arrives,
// so invalid text fails as soon as it can be known, even mid-message.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "core/io/byte_block.h"
#include "proto/ws/utf8_stream.h"
#include "proto/ws/ws_frame.h"
#include "proto/ws/ws_unmask.h"

namespace rg::proto {

template <class Handler>
class WsParser {
 public:
  WsParser(Handler& handler, size_t max_message) noexcept
      : handler_(handler), max_message_(max_message) {}

  // Parses `in` (unmasking it in place). Returns false once the connection is done with:
  // after a close frame or a protocol error, nothing more is parsed.
  bool feed(std::span<std::byte> in) noexcept {
    std::byte* p = in.data();
    std::byte* const end = p + in.size();
    // A header parsed in an earlier read is not in front of this read's payload.
    header_in_place_ = false;
    while (p < end) {
      if (state_ == State::kDone) return false;
      if (state_ == State::kHeader) {
        if (!read_header(p, end)) return state_ != State::kDone;
        continue;
      }
      size_t avail = std::min<size_t>(static_cast<size_t>(end - p), frame_length_ - frame_done_);
      if (!consume_payload(p, avail)) return false;
      p += avail;
    }
    return state_ != State::kDone;
  }

  bool done() const noexcept { return state_ == State::kDone; }
  // Before the first byte of a message: a new size limit (the gateway protocol's is
  // smaller than /echo's).
  void set_max_message(size_t max_message) noexcept { max_message_ = max_message; }
  // The handler is done with the connection (it closed it): parse nothing more.
  void stop() noexcept {
    state_ = State::kDone;
    assembly_ = core::BlockRef();
  }
  // Memory held for a message being assembled.
  size_t buffered() const noexcept { return assembly_ ? assembly_->capacity() : 0; }
  // Some frame or message has begun to arrive and is not complete.
  bool mid_message() const noexcept {
    return state_ == State::kPayload || header_have_ > 0 || in_message_;
  }
  // Text and binary messages completed so far.
  uint64_t messages_completed() const noexcept { return messages_completed_; }

 private:
  enum class State : uint8_t { kHeader, kPayload, kDone };
  static constexpr size_t kMaxClientHeader = 14;
  static constexpr size_t kFirstReserve = 256 * 1024;

 public:
  static constexpr size_t kAssemblyTailroom = 64;

 private:
  bool fail(uint16_t code, const char* why) noexcept {
    state_ = State::kDone;
    assembly_ = core::BlockRef();
    handler_.on_error(code, why);
    return false;
  }

  static size_t header_size(std::byte b1) noexcept {
    size_t len7 = std::to_integer<size_t>(b1 & std::byte{0x7F});
    return (len7 < 126 ? 2 : len7 == 126 ? 4 : 10) + 4;  // client frames carry a mask
  }

  // Checks what the first two bytes alone can tell, so a bad frame fails at once.
  bool check_start(std::byte b0, std::byte b1) noexcept {
    auto bits = std::to_integer<uint8_t>(b0);
    auto op = static_cast<WsOpcode>(bits & 0x0F);
    bool fin = bits & 0x80;
    if (bits & 0x70) return fail(ws_close::kProtocolError, "reserved bits set, no extension");
    switch (op) {
      case WsOpcode::kContinuation:
        if (!in_message_) return fail(ws_close::kProtocolError, "continuation without a message");
        break;
      case WsOpcode::kText:
      case WsOpcode::kBinary:
        if (in_message_)
          return fail(ws_close::kProtocolError, "new message inside a fragmented one");
        break;
      case WsOpcode::kClose:
      case WsOpcode::kPing:
      case WsOpcode::kPong:
        if (!fin) return fail(ws_close::kProtocolError, "fragmented control frame");
        if (std::to_integer<uint8_t>(b1 & std::byte{0x7F}) > kMaxControlPayload) {
          return fail(ws_close::kProtocolError, "control frame payload over 125 bytes");
        }
        break;
      default:
        return fail(ws_close::kProtocolError, "reserved opcode");
    }
    if (!std::to_integer<bool>(b1 & std::byte{0x80})) {
      return fail(ws_close::kProtocolError, "client frames must be masked");
    }
    return true;
  }

  // Returns false when the header is not complete yet (all input used) or has failed.
  bool read_header(std::byte*& p, std::byte* end) noexcept {
    const std::byte* h;
    if (header_have_ == 0 && end - p >= 2) {
      if (!check_start(p[0], p[1])) return false;
      size_t size = header_size(p[1]);
      if (static_cast<size_t>(end - p) >= size) {
        h = p;  // the whole header is here: parse it where it lies
        p += size;
        return start_frame(h, true, p);
      }
    }
    while (p < end) {
      header_[header_have_++] = *p++;
      if (header_have_ == 2 && !check_start(header_[0], header_[1])) return false;
      if (header_have_ >= 2 && header_have_ == header_size(header_[1])) {
        header_have_ = 0;
        return start_frame(header_, false, p);
      }
    }
    return false;
  }

  bool start_frame(const std::byte* h, bool in_place, std::byte* payload) noexcept {
    auto b0 = std::to_integer<uint8_t>(h[0]);
    frame_op_ = static_cast<WsOpcode>(b0 & 0x0F);
    frame_fin_ = b0 & 0x80;
    size_t len7 = std::to_integer<size_t>(h[1] & std::byte{0x7F});
    size_t at = 2;
    uint64_t length = len7;
    if (len7 == 126) {
      length = std::to_integer<uint64_t>(h[2]) << 8 | std::to_integer<uint64_t>(h[3]);
      at = 4;
      if (length < 126) return fail(ws_close::kProtocolError, "length not in its shortest form");
    } else if (len7 == 127) {
      length = 0;
      for (int i = 0; i < 8; ++i) length = length << 8 | std::to_integer<uint64_t>(h[2 + i]);
      at = 10;
      if (length >> 63) return fail(ws_close::kProtocolError, "64-bit length with its top bit set");
      if (length <= 0xFFFF)
        return fail(ws_close::kProtocolError, "length not in its shortest form");
    }
    std::memcpy(mask_, h + at, 4);
    bool control = is_control(frame_op_);
    if (!control) {
      if (frame_op_ != WsOpcode::kContinuation) {
        in_message_ = true;
        message_op_ = frame_op_;
        message_size_ = 0;
        utf8_.reset();
      }
      if (length > max_message_ - message_size_) {
        return fail(ws_close::kMessageTooBig, "message larger than the limit");
      }
    }
    frame_length_ = length;
    frame_done_ = 0;
    header_in_place_ = in_place;
    state_ = State::kPayload;
    if (length == 0) return finish_frame(payload, in_place);
    return true;
  }

  bool consume_payload(std::byte* p, size_t n) noexcept {
    unmask(p, n, mask_, frame_done_ & 3);
    bool whole_here = frame_done_ == 0 && n == frame_length_ && header_in_place_;
    if (is_control(frame_op_)) {
      if (!whole_here) {
        if (!control_) control_ = std::make_unique<std::byte[]>(kMaxControlPayload);
        std::memcpy(control_.get() + frame_done_, p, n);
      }
    } else {
      if (message_op_ == WsOpcode::kText && !utf8_.feed(p, n)) {
        return fail(ws_close::kInvalidPayload, "text message is not valid UTF-8");
      }
      bool direct = whole_here && frame_fin_ && frame_op_ != WsOpcode::kContinuation;
      if (!direct) append(p, n);
    }
    frame_done_ += n;
    if (frame_done_ < frame_length_) return true;
    return finish_frame(whole_here ? p : nullptr, whole_here);
  }

  // `in_place`: the whole payload is at `payload`, in the caller's buffer.
  bool finish_frame(std::byte* payload, bool in_place) noexcept {
    state_ = State::kHeader;
    if (is_control(frame_op_)) {
      std::byte* data = in_place ? payload : control_.get();
      return control_frame({data, frame_length_});
    }
    message_size_ += frame_length_;
    if (!frame_fin_) return true;
    in_message_ = false;
    ++messages_completed_;
    if (message_op_ == WsOpcode::kText && !utf8_.finish()) {
      return fail(ws_close::kInvalidPayload, "text message ends inside a UTF-8 sequence");
    }
    if (in_place && frame_op_ != WsOpcode::kContinuation) {
      handler_.on_message(message_op_, {payload, frame_length_}, nullptr);
    } else {
      if (!assembly_) append(nullptr, 0);
      core::BlockRef block = std::move(assembly_);
      handler_.on_message(message_op_, {block->data() + kMaxServerHeader, message_size_}, &block);
    }
    return state_ != State::kDone;
  }

  bool control_frame(std::span<std::byte> payload) noexcept {
    switch (frame_op_) {
      case WsOpcode::kPing:
        handler_.on_ping(payload);
        return true;
      case WsOpcode::kPong:
        handler_.on_pong(payload);
        return true;
      default:
        break;
    }
    // Close (RFC 6455 5.5.1, 7.4): no payload, or a valid code and a UTF-8 reason.
    if (payload.size() == 1) return fail(ws_close::kProtocolError, "close payload of 1 byte");
    uint16_t code = ws_close::kNoStatus;
    std::span<const std::byte> reason;
    if (payload.size() >= 2) {
      code = static_cast<uint16_t>(std::to_integer<uint16_t>(payload[0]) << 8 |
                                   std::to_integer<uint16_t>(payload[1]));
      if (!is_valid_close_code(code)) return fail(ws_close::kProtocolError, "invalid close code");
      reason = payload.subspan(2);
      if (!Utf8Stream::valid(reason.data(), reason.size())) {
        return fail(ws_close::kInvalidPayload, "close reason is not valid UTF-8");
      }
    }
    state_ = State::kDone;
    assembly_ = core::BlockRef();
    handler_.on_close(code, reason);
    return false;
  }

  // Copies message bytes into the assembly block. The first block holds what the frame
  // header announced, up to 256 KiB; after that the block at least doubles, so a message
  // is copied about twice at worst, and memory follows the bytes actually received rather
  // than a length a peer merely claims.
  void append(const std::byte* p, size_t n) noexcept {
    size_t used = assembly_ ? assembly_->size() : kMaxServerHeader;
    size_t need = used + n;
    if (!assembly_ || assembly_->capacity() - kAssemblyTailroom < need) {
      size_t announced = used + (frame_length_ - frame_done_);
      size_t capacity = std::max({need, std::min(announced, kFirstReserve),
                                  assembly_ ? 2 * (assembly_->capacity() - kAssemblyTailroom) : 0});
      capacity = std::max(need, std::min(capacity, max_message_ + kMaxServerHeader));
      core::BlockRef bigger =
          core::BlockRef::adopt(core::ByteBlock::create(capacity + kAssemblyTailroom));
      if (assembly_) {
        std::memcpy(bigger->data(), assembly_->data(), assembly_->size());
        bigger->grow(assembly_->size());
      } else {
        bigger->grow(kMaxServerHeader);  // headroom for the reply's header
      }
      assembly_ = std::move(bigger);
    }
    if (n > 0) std::memcpy(assembly_->data() + assembly_->size(), p, n);
    assembly_->grow(n);
  }

  Handler& handler_;
  size_t max_message_;
  State state_ = State::kHeader;
  std::byte header_[kMaxClientHeader] = {};
  size_t header_have_ = 0;
  std::byte mask_[4] = {};
  WsOpcode frame_op_ = WsOpcode::kContinuation;
  bool frame_fin_ = false;
  bool header_in_place_ = false;
  bool in_message_ = false;
  WsOpcode message_op_ = WsOpcode::kBinary;
  uint64_t frame_length_ = 0;
  uint64_t frame_done_ = 0;
  size_t message_size_ = 0;  // bytes of the current message in finished frames
  uint64_t messages_completed_ = 0;
  core::BlockRef assembly_;
  Utf8Stream utf8_;
  // Only a control frame split across reads is copied; most connections never need this.
  std::unique_ptr<std::byte[]> control_;
};

}  // namespace rg::proto
