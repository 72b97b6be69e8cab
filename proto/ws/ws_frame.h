#pragma once
// WebSocket framing constants and the server's frame header (RFC 6455 5.2).

#include <cstddef>
#include <cstdint>

namespace rg::proto {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

namespace ws_close {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kNoStatus = 1005;  // never sent: "the close frame had no code"
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
inline constexpr uint16_t kServiceRestart = 1012;  // IANA: the server restarts; reconnect
// ringgate's own (4000-4999 are the application's): the server API disconnected it.
inline constexpr uint16_t kDisconnected = 4000;
inline constexpr uint16_t kTokenExpired = 4001;  // --auth: not refreshed within --token-grace
inline constexpr uint16_t kUnauthorized = 4003;  // --auth: no valid token in time
}  // namespace ws_close

// Codes a peer may send in a close frame: those RFC 6455 7.4.1 defines for use on the wire
// (1000-1003, 1007-1011), the ones IANA registered since (1012-1014), and the ranges for
// libraries and applications (3000-4999). 1004-1006 and 1015 are reserved.
constexpr bool is_valid_close_code(uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

constexpr bool is_control(WsOpcode op) noexcept {
  return static_cast<uint8_t>(op) >= 0x8;
}

inline constexpr size_t kMaxServerHeader = 10;  // server frames are never masked
inline constexpr size_t kMaxControlPayload = 125;

constexpr size_t server_header_size(size_t payload) noexcept {
  return payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10;
}

// Writes an unmasked frame header for a `payload`-byte frame; returns its size.
inline size_t encode_server_header(std::byte* out, WsOpcode op, size_t payload,
                                   bool fin = true) noexcept {
  out[0] = static_cast<std::byte>((fin ? 0x80 : 0) | static_cast<uint8_t>(op));
  if (payload < 126) {
    out[1] = static_cast<std::byte>(payload);
    return 2;
  }
  if (payload <= 0xFFFF) {
    out[1] = std::byte{126};
    out[2] = static_cast<std::byte>(payload >> 8);
    out[3] = static_cast<std::byte>(payload);
    return 4;
  }
  out[1] = std::byte{127};
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<std::byte>(uint64_t{payload} >> (56 - 8 * i));
  return 10;
}

// A header encode_server_header wrote (the frame lies whole in memory): its opcode, its
// size and the payload's.
struct ServerHeader {
  WsOpcode op;
  size_t header;
  size_t payload;
};
inline ServerHeader decode_server_header(const std::byte* in) noexcept {
  auto op = static_cast<WsOpcode>(static_cast<uint8_t>(in[0]) & 0x0f);
  size_t length = static_cast<uint8_t>(in[1]) & 0x7f;
  if (length < 126) return {op, 2, length};
  if (length == 126) {
    return {op, 4, size_t{static_cast<uint8_t>(in[2])} << 8 | static_cast<uint8_t>(in[3])};
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = n << 8 | static_cast<uint8_t>(in[2 + i]);
  return {op, 10, static_cast<size_t>(n)};
}

}  // namespace rg::proto
