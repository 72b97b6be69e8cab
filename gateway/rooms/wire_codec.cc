#include "gateway/rooms/wire_codec.h"

#include <charconv>
#include <cstring>

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"
#include "proto/envelope/length_prefixed.h"
#include "proto/json_string.h"
#include "proto/ws/ws_frame.h"

namespace rg::gateway {

namespace {

size_t ws_header_size(size_t body) noexcept {
  return proto::server_header_size(body);
}
void ws_text_header(std::byte* out, size_t body) noexcept {
  proto::encode_server_header(out, proto::WsOpcode::kText, body);
}
void ws_binary_header(std::byte* out, size_t body) noexcept {
  proto::encode_server_header(out, proto::WsOpcode::kBinary, body);
}
size_t length_prefix_size(size_t) noexcept {
  return proto::LengthPrefixedParser::kHeaderSize;
}
void length_prefix(std::byte* out, size_t body) noexcept {
  proto::LengthPrefixedParser::write_header(out, static_cast<uint32_t>(body));
}
size_t no_header_size(size_t) noexcept {
  return 0;
}
void no_header(std::byte*, size_t) noexcept {}

// Indexed by WireForm.
constexpr WireCodec kCodecs[kWireForms] = {
    {true, false, false, &ws_header_size, &ws_text_header},      // kWsJson
    {false, false, false, &ws_header_size, &ws_binary_header},   // kWsBinary
    {false, false, false, &length_prefix_size, &length_prefix},  // kTcp
    {false, false, true, &no_header_size, &no_header},           // kUdp
    {true, true, false, &ws_header_size, &ws_text_header},       // kSio
    {true, true, false, &ws_header_size, &ws_text_header},       // kSioOffsets
    {true, false, false, &ws_header_size, &ws_text_header},      // kRaw (replies: dropped)
};
static_assert(static_cast<size_t>(WireForm::kWsJson) == 0 &&
              static_cast<size_t>(WireForm::kWsBinary) == 1 &&
              static_cast<size_t>(WireForm::kTcp) == 2 &&
              static_cast<size_t>(WireForm::kUdp) == 3 &&
              static_cast<size_t>(WireForm::kSio) == 4 &&
              static_cast<size_t>(WireForm::kSioOffsets) == 5 &&
              static_cast<size_t>(WireForm::kRaw) == 6);

// A raw member's frame: the data alone, in a text frame when it is JSON (a raw member's
// own text: the text it was, unescaped from the JSON string it travelled as, straight
// into the block), else in a binary frame.
size_t raw_payload_size(const RoomMessage& m) noexcept {
  return m.raw_text() ? proto::unescaped_json_string_size(m.data()) : m.data().size();
}

core::BlockRef encode_raw(const RoomMessage& m) {
  size_t payload = raw_payload_size(m);
  size_t header = ws_header_size(payload);
  core::ByteBlock* block = core::ByteBlock::create(header + payload);
  if (m.data_is_json()) {
    ws_text_header(block->data(), payload);
  } else {
    ws_binary_header(block->data(), payload);
  }
  char* body = reinterpret_cast<char*>(block->data() + header);
  if (m.raw_text()) {
    proto::write_unescaped_json_string(m.data(), body);
  } else if (payload != 0) {
    std::memcpy(body, m.data().data(), payload);
  }
  block->grow(header + payload);
  return core::BlockRef::adopt(block);
}

// A Socket.IO EVENT of a room message, as the text of an Engine.IO message:
//   42["<event>",<data>(,"<offset>")]  (JSON data)
//   451-["<event>",{"_placeholder":true,"num":0}(,"<offset>")]  (binary data, which
// follows as a binary WebSocket frame: its attachment).
constexpr std::string_view kPlaceholder = "{\"_placeholder\":true,\"num\":0}";

constexpr std::string_view kJsonEventHead = "42[\"";
constexpr std::string_view kBinaryEventHead = "451-[\"";
constexpr size_t kOffsetHashDigits = 16;

// "<room hash, 16 hex digits>:<seq>" at `out` (room for 37 bytes); returns its size.
size_t write_sio_offset(char* out, uint64_t room_hash, uint64_t seq) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < kOffsetHashDigits; ++i) {
    out[i] = kHex[(room_hash >> (4 * (kOffsetHashDigits - 1 - i))) & 15];
  }
  out[kOffsetHashDigits] = ':';
  char* end = std::to_chars(out + kOffsetHashDigits + 1, out + kOffsetHashDigits + 21, seq).ptr;
  return static_cast<size_t>(end - out);
}

size_t sio_offset_size(uint64_t seq) noexcept {
  char digits[24];
  return kOffsetHashDigits + 1 +
         static_cast<size_t>(std::to_chars(digits, digits + 24, seq).ptr - digits);
}

std::string_view sio_event_name(const RoomMessage& m) noexcept {
  return m.event().empty() ? std::string_view("message") : m.event();  // needs no escaping
}

// The size of the EVENT's text, and writing it (exactly that many bytes, no copy between).
size_t sio_text_size(const RoomMessage& m, bool offsets) noexcept {
  size_t n = (m.data_is_json() ? kJsonEventHead.size() : kBinaryEventHead.size()) +
             sio_event_name(m).size() + 2 +
             (m.data_is_json() ? m.data().size() : kPlaceholder.size()) + 1;
  if (offsets) n += 3 + sio_offset_size(m.seq());
  return n;
}

void write_sio_text(char* out, const RoomMessage& m, bool offsets) noexcept {
  auto put = [&out](std::string_view part) {
    std::memcpy(out, part.data(), part.size());
    out += part.size();
  };
  put(m.data_is_json() ? kJsonEventHead : kBinaryEventHead);
  put(sio_event_name(m));
  put("\",");
  put(m.data_is_json() ? m.data() : kPlaceholder);
  if (offsets) {
    put(",\"");
    out += write_sio_offset(out, m.room_hash(), m.seq());
    put("\"");
  }
  put("]");
}

// The text frame, then (binary data) the attachment's binary frame.
size_t sio_encoded_size(const RoomMessage& m, bool offsets) noexcept {
  size_t text = sio_text_size(m, offsets);
  size_t size = ws_header_size(text) + text;
  if (!m.data_is_json()) size += ws_header_size(m.data().size()) + m.data().size();
  return size;
}

core::BlockRef encode_sio(const RoomMessage& m, bool offsets) {
  size_t text = sio_text_size(m, offsets);
  size_t size = sio_encoded_size(m, offsets);
  core::ByteBlock* block = core::ByteBlock::create(size);
  std::byte* p = block->data();
  size_t header = ws_header_size(text);
  ws_text_header(p, text);
  write_sio_text(reinterpret_cast<char*>(p + header), m, offsets);
  p += header + text;
  if (!m.data_is_json()) {
    size_t attachment_header = ws_header_size(m.data().size());
    ws_binary_header(p, m.data().size());
    if (!m.data().empty()) std::memcpy(p + attachment_header, m.data().data(), m.data().size());
  }
  block->grow(size);
  return core::BlockRef::adopt(block);
}

}  // namespace

const WireCodec& wire_codec(WireForm form) noexcept {
  return kCodecs[static_cast<size_t>(form)];
}

std::string sio_offset(uint64_t room_hash, uint64_t seq) {
  char text[40];
  return std::string(text, write_sio_offset(text, room_hash, seq));
}

bool parse_sio_offset(std::string_view offset, uint64_t& room_hash, uint64_t& seq) noexcept {
  if (offset.size() < 18 || offset[16] != ':') return false;
  auto hash = std::from_chars(offset.data(), offset.data() + 16, room_hash, 16);
  auto number = std::from_chars(offset.data() + 17, offset.data() + offset.size(), seq);
  return hash.ec == std::errc() && hash.ptr == offset.data() + 16 && number.ec == std::errc() &&
         number.ptr == offset.data() + offset.size();
}

size_t encoded_size(const RoomMessage& m, WireForm form) noexcept {
  if (form == WireForm::kRaw) {
    size_t n = raw_payload_size(m);
    return ws_header_size(n) + n;
  }
  const WireCodec& codec = wire_codec(form);
  if (codec.socket_io) return sio_encoded_size(m, form == WireForm::kSioOffsets);
  size_t n = codec.json ? proto::json_msg_size(m.room(), m.seq(), m.event(), m.data().size(),
                                               m.data_is_json())
                        : proto::bin::msg_size(m.room(), m.data().size(), m.event());
  return codec.header_size(n) + n;
}

core::BlockRef encode_message(const RoomMessage& m, WireForm form) {
  if (form == WireForm::kRaw) return encode_raw(m);
  const WireCodec& codec = wire_codec(form);
  if (codec.socket_io) return encode_sio(m, form == WireForm::kSioOffsets);
  size_t n = codec.json ? proto::json_msg_size(m.room(), m.seq(), m.event(), m.data().size(),
                                               m.data_is_json())
                        : proto::bin::msg_size(m.room(), m.data().size(), m.event());
  size_t header = codec.header_size(n);
  core::ByteBlock* block = core::ByteBlock::create(header + n);
  codec.write_header(block->data(), n);
  if (codec.json) {
    proto::write_json_msg(reinterpret_cast<char*>(block->data() + header), m.room(), m.seq(),
                          m.event(), m.data(), m.data_is_json());
  } else {
    proto::bin::write_msg(block->data() + header, m.room(), m.seq(), m.data(), m.data_is_json(),
                          m.event());
  }
  block->grow(header + n);
  return core::BlockRef::adopt(block);
}

}  // namespace rg::gateway
