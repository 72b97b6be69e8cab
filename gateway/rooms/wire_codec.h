#pragma once
// The four wire forms a member can have, as one table: which body format a message or
// reply takes (the JSON text or the binary envelope), and how a body is framed on the
// member's transport (a WebSocket text or binary frame header, the raw TCP length
// prefix, nothing for a UDP datagram). The room hub and the stream members look their
// form up here instead of branching on it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/io/byte_block.h"
#include "gateway/rooms/room_message.h"

namespace rg::gateway {

struct WireCodec {
  bool json;       // replies are JSON text (else the binary envelope)
  bool socket_io;  // messages are Socket.IO EVENTs (else the gateway protocol's msg)
  bool datagram;   // one frame per datagram: at most --max-datagram, and a send may fail
  // The frame header in front of a body of `body` bytes: its size, and writing it (`out`
  // has room for header_size(body) bytes).
  size_t (*header_size)(size_t body) noexcept;
  void (*write_header)(std::byte* out, size_t body) noexcept;
};

const WireCodec& wire_codec(WireForm form) noexcept;

// The offset a Socket.IO member is given with each room message (its last argument), and
// the room and seq it names: "<room hash, 16 hex digits>:<seq>".
std::string sio_offset(uint64_t room_hash, uint64_t seq);
bool parse_sio_offset(std::string_view offset, uint64_t& room_hash, uint64_t& seq) noexcept;

// The size of `message` (a delivery: its seq is set) framed for `form`, and the frame
// itself in a new block.
size_t encoded_size(const RoomMessage& message, WireForm form) noexcept;
core::BlockRef encode_message(const RoomMessage& message, WireForm form);

}  // namespace rg::gateway
