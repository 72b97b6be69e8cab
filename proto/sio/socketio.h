#pragma once
// Socket.IO v5 packets, the messages inside Engine.IO's: `<type>[<attachments>-][<nsp>,]
// [<ack id>][<JSON>]`, the namespace omitted when it is "/". Parsing follows the
// reference decoder (socket.io-parser 4.2): what it refuses, and what makes the reference
// server close the connection, is refused here, so a client sees the same behaviour.
// The JSON payload is validated whole (simdjson DOM) and its shape checked per type.
// See docs/PROTOCOL.md and the Socket.IO protocol v5 (github.com/socketio/socket.io-protocol).

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/json_string.h"  // (append_json_string, which its users write packets with)

namespace rg::proto {

enum class SioType : uint8_t {
  kConnect = 0,
  kDisconnect = 1,
  kEvent = 2,
  kAck = 3,
  kConnectError = 4,
  kBinaryEvent = 5,
  kBinaryAck = 6,
};

// The most binary attachments a packet may announce (socket.io-parser's maxAttachments).
inline constexpr size_t kMaxSioAttachments = 10;

struct SioPacket {
  SioType type = SioType::kEvent;
  size_t attachments = 0;      // binary packets: the attachments that follow
  std::string_view nsp = "/";  // a view into the input (or the literal "/")
  bool has_id = false;         // an ack id was given (an event wanting an ack, an ack)
  uint64_t id = 0;
  bool has_payload = false;
  simdjson::dom::element payload;  // valid until the parser parses again
};

enum class SioParse : uint8_t {
  kOk,
  kUnknownType,
  kBadAttachments,  // not digits, no '-', or more than kMaxSioAttachments
  kBadId,           // an ack id past 2^53 (JavaScript's exact integers)
  kBadJson,
  kBadPayload,  // valid JSON of the wrong shape for the type
};

const char* to_string(SioParse result) noexcept;

// Parses one packet. `text` must be followed by SIMDJSON_PADDING readable bytes (a
// WebSocket assembly block and a polling body both have them).
[[nodiscard]] SioParse parse_sio_packet(std::string_view text, simdjson::dom::parser& parser,
                                        SioPacket& out) noexcept;

// Whether a name is one that Socket.IO keeps for itself (an EVENT may not use it).
bool is_reserved_sio_event(std::string_view name) noexcept;

// Appends a packet's head (type, attachments, namespace, ack id) to `out`; its JSON
// payload, if any, follows.
void append_sio_head(std::string& out, SioType type, std::string_view nsp = "/",
                     size_t attachments = 0, bool has_id = false, uint64_t id = 0);

}  // namespace rg::proto
