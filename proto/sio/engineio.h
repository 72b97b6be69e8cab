#pragma once
// Engine.IO v4 packets (the transport under Socket.IO): one packet per WebSocket frame,
// or several joined by a record separator (0x1e) in a long-polling HTTP body, where a
// binary packet is 'b' followed by its base64.
//
// Decoding works in place on text (packets are views into the input); a binary packet of
// a polling body is decoded into a scratch buffer the caller owns. See docs/PROTOCOL.md
// and the Engine.IO protocol v4 (github.com/socketio/engine.io-protocol).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/base64.h"  // binary packets on polling, as engine.io-parser writes them

namespace rg::proto {

enum class EioType : uint8_t {
  kOpen = 0,
  kClose = 1,
  kPing = 2,
  kPong = 3,
  kMessage = 4,
  kUpgrade = 5,
  kNoop = 6,
};

struct EioPacket {
  EioType type = EioType::kMessage;
  bool binary = false;    // a binary message (its data is bytes, not text)
  std::string_view data;  // what follows the type (text) or the decoded bytes (binary)
};

// One packet from one WebSocket text frame ("4hello", "2probe"); false when the frame
// is empty or its type is not one of Engine.IO's.
[[nodiscard]] bool parse_eio_text(std::string_view frame, EioPacket& out) noexcept;

// Calls `on_packet(context, packet)` for each packet of a polling body, in order; false
// at the first malformed one (an empty record, an unknown type, bad base64), with the
// packets before it already handed out. A binary packet's data lies in `scratch`, valid
// until the next call.
using EioPacketSink = void (*)(void* context, const EioPacket& packet);
[[nodiscard]] bool for_each_eio_packet(std::string_view body, std::string& scratch,
                                       EioPacketSink on_packet, void* context) noexcept;

// Appends a text packet to a polling body (with the separator when it is not the first).
void append_eio_text(std::string& body, EioType type, std::string_view data);
// Appends a binary message to a polling body: 'b' + base64.
void append_eio_binary(std::string& body, std::span<const std::byte> data);

// The open packet's JSON, exactly the five keys the clients expect, in the reference's order.
struct EioOpen {
  std::string_view sid;
  bool upgrade_to_websocket = false;  // "upgrades":["websocket"] (from polling) or []
  uint64_t ping_interval_ms = 25000;
  uint64_t ping_timeout_ms = 20000;
  uint64_t max_payload = 1000000;
};
std::string eio_open_json(const EioOpen& open);

}  // namespace rg::proto
