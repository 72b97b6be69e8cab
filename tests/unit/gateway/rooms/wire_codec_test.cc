// One codec per wire form: the same delivery framed for each, and each frame's header is
// the transport's and its body the protocol form's.

#include "gateway/rooms/wire_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "proto/envelope/binary_envelope.h"
#include "proto/envelope/json_envelope.h"

namespace rg::gateway {
namespace {

RoomMessage* delivery(std::string_view data, bool json) {
  RoomMessage::Fields f;
  f.room = "lobby";
  f.room_hash = room_hash("lobby");
  f.data = data;
  f.data_is_json = json;
  f.seq = 42;
  return RoomMessage::create(f);
}

std::string bytes(const core::BlockRef& block) {
  return std::string(reinterpret_cast<const char*>(block->data()), block->size());
}

TEST(WireCodec, FramesADeliveryForEachForm) {
  RoomMessage* m = delivery(R"({"x":1})", true);
  std::string json = R"({"op":"msg","room":"lobby","seq":42,"data":{"x":1}})";
  std::string binary(proto::bin::msg_size("lobby", 7), '\0');
  proto::bin::write_msg(reinterpret_cast<std::byte*>(binary.data()), "lobby", 42, R"({"x":1})",
                        true);
  struct Case {
    WireForm form;
    std::string expect;
  } cases[] = {
      {WireForm::kWsJson, std::string{char(0x81), char(json.size())} + json},
      {WireForm::kWsBinary, std::string{char(0x82), char(binary.size())} + binary},
      {WireForm::kTcp, std::string{char(binary.size()), 0, 0, 0} + binary},
      {WireForm::kUdp, binary},
  };
  for (const Case& c : cases) {
    core::BlockRef block = encode_message(*m, c.form);
    EXPECT_EQ(bytes(block), c.expect) << static_cast<int>(c.form);
    EXPECT_EQ(encoded_size(*m, c.form), block->size());
    EXPECT_EQ(wire_codec(c.form).json, c.form == WireForm::kWsJson);
    EXPECT_FALSE(wire_codec(c.form).socket_io);
    EXPECT_EQ(wire_codec(c.form).datagram, c.form == WireForm::kUdp);
  }
  m->release();
}

TEST(WireCodec, SocketIoMembersGetAnEventWithItsOffset) {
  RoomMessage::Fields f;
  f.room = "lobby";
  f.room_hash = room_hash("lobby");
  f.event = "quote";
  f.data = R"({"p":1})";
  f.data_is_json = true;
  f.seq = 42;
  RoomMessage* m = RoomMessage::create(f);
  std::string offset = sio_offset(f.room_hash, 42);
  std::string text = R"(42["quote",{"p":1},")" + offset + "\"]";
  core::BlockRef block = encode_message(*m, WireForm::kSioOffsets);
  std::string frame = std::string{char(0x81), char(text.size())} + text;
  EXPECT_EQ(bytes(block), frame);
  EXPECT_EQ(encoded_size(*m, WireForm::kSioOffsets), block->size());
  block = encode_message(*m, WireForm::kSio);  // recovery off: no offset
  EXPECT_EQ(bytes(block).substr(2), R"(42["quote",{"p":1}])");
  EXPECT_EQ(encoded_size(*m, WireForm::kSio), block->size());
  uint64_t hash = 0, seq = 0;
  ASSERT_TRUE(parse_sio_offset(offset, hash, seq));
  EXPECT_EQ(hash, f.room_hash);
  EXPECT_EQ(seq, 42u);
  EXPECT_FALSE(parse_sio_offset("zz", hash, seq));
  EXPECT_FALSE(parse_sio_offset(offset + "x", hash, seq));
  m->release();

  // Binary data: a BINARY_EVENT with a placeholder, then the bytes as a binary frame; no
  // event named: "message".
  f.event = {};
  f.data = std::string_view("\x00\x01\x02", 3);
  f.data_is_json = false;
  m = RoomMessage::create(f);
  block = encode_message(*m, WireForm::kSio);
  std::string head = R"(451-["message",{"_placeholder":true,"num":0}])";
  std::string frames = std::string{char(0x81), char(head.size())} + head;
  frames += std::string{char(0x82), 3, 0, 1, 2};
  EXPECT_EQ(bytes(block), frames);
  EXPECT_EQ(encoded_size(*m, WireForm::kSio), block->size());
  EXPECT_TRUE(wire_codec(WireForm::kSio).socket_io && wire_codec(WireForm::kSio).json);
  m->release();
}

TEST(WireCodec, LongBodiesGetTheLongHeader) {
  std::string data(70000, 'x');
  RoomMessage* m = delivery(data, false);
  core::BlockRef block = encode_message(*m, WireForm::kWsBinary);
  ASSERT_GT(block->size(), 10u);
  EXPECT_EQ(std::to_integer<uint8_t>(block->data()[0]), 0x82);
  EXPECT_EQ(std::to_integer<uint8_t>(block->data()[1]), 127);  // 64-bit length
  EXPECT_EQ(encoded_size(*m, WireForm::kWsBinary), block->size());
  EXPECT_EQ(encoded_size(*m, WireForm::kWsJson), encode_message(*m, WireForm::kWsJson)->size());
  m->release();
}

}  // namespace
}  // namespace rg::gateway
