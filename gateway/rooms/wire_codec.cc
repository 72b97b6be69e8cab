#include "gateway/rooms/wire_codec.h"

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"
#include "proto/envelope/length_prefixed.h"
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
    {true, false, &ws_header_size, &ws_text_header},      // kWsJson
    {false, false, &ws_header_size, &ws_binary_header},   // kWsBinary
    {false, false, &length_prefix_size, &length_prefix},  // kTcp
    {false, true, &no_header_size, &no_header},           // kUdp
};
static_assert(static_cast<size_t>(WireForm::kWsJson) == 0 &&
              static_cast<size_t>(WireForm::kWsBinary) == 1 &&
              static_cast<size_t>(WireForm::kTcp) == 2 && static_cast<size_t>(WireForm::kUdp) == 3);

}  // namespace

const WireCodec& wire_codec(WireForm form) noexcept {
  return kCodecs[static_cast<size_t>(form)];
}

size_t encoded_size(const RoomMessage& m, WireForm form) noexcept {
  const WireCodec& codec = wire_codec(form);
  size_t n = codec.json ? proto::json_msg_size(m.room(), m.seq(), m.event(), m.data().size(),
                                               m.data_is_json())
                        : proto::bin::msg_size(m.room(), m.data().size());
  return codec.header_size(n) + n;
}

core::BlockRef encode_message(const RoomMessage& m, WireForm form) {
  const WireCodec& codec = wire_codec(form);
  size_t n = codec.json ? proto::json_msg_size(m.room(), m.seq(), m.event(), m.data().size(),
                                               m.data_is_json())
                        : proto::bin::msg_size(m.room(), m.data().size());
  size_t header = codec.header_size(n);
  core::ByteBlock* block = core::ByteBlock::create(header + n);
  codec.write_header(block->data(), n);
  if (codec.json) {
    proto::write_json_msg(reinterpret_cast<char*>(block->data() + header), m.room(), m.seq(),
                          m.event(), m.data(), m.data_is_json());
  } else {
    proto::bin::write_msg(block->data() + header, m.room(), m.seq(), m.data(), m.data_is_json());
  }
  block->grow(header + n);
  return core::BlockRef::adopt(block);
}

}  // namespace rg::gateway
