#include "proto/sio/engineio.h"

#include <gtest/gtest.h>

#include <vector>

namespace rg::proto {
namespace {

struct Seen {
  EioType type;
  bool binary;
  std::string data;
};

bool decode(std::string_view body, std::vector<Seen>& seen) {
  std::string scratch;
  return for_each_eio_packet(
      body, scratch,
      [](void* context, const EioPacket& p) {
        static_cast<std::vector<Seen>*>(context)->push_back(
            {p.type, p.binary, std::string(p.data)});
      },
      &seen);
}

TEST(EngineIo, ParsesAWebSocketFrame) {
  EioPacket p;
  ASSERT_TRUE(parse_eio_text("2probe", p));
  EXPECT_EQ(p.type, EioType::kPing);
  EXPECT_EQ(p.data, "probe");
  ASSERT_TRUE(parse_eio_text("6", p));
  EXPECT_EQ(p.type, EioType::kNoop);
  EXPECT_FALSE(parse_eio_text("", p));
  EXPECT_FALSE(parse_eio_text("7", p));
  EXPECT_FALSE(parse_eio_text("x", p));
}

TEST(EngineIo, DecodesAPollingPayload) {
  std::vector<Seen> seen;
  ASSERT_TRUE(
      decode("4hello\x1e"
             "bAQIDBA==\x1e"
             "2\x1e"
             "40{\"token\":\"1\"}",
             seen));
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].type, EioType::kMessage);
  EXPECT_EQ(seen[0].data, "hello");
  EXPECT_TRUE(seen[1].binary);
  EXPECT_EQ(seen[1].data, std::string("\x01\x02\x03\x04"));
  EXPECT_EQ(seen[2].type, EioType::kPing);
  EXPECT_EQ(seen[3].data, "0{\"token\":\"1\"}");
}

TEST(EngineIo, RefusesAMalformedPayload) {
  for (std::string_view body : {"", "4a\x1e",
                                "\x1e"
                                "4a",
                                "abc", "9",
                                "4a\x1e"
                                "b!!!!",
                                "bAQI", "bA=QI", "b===="}) {
    std::vector<Seen> seen;
    EXPECT_FALSE(decode(body, seen)) << body;
  }
}

TEST(EngineIo, EncodesAPollingPayload) {
  std::string body;
  append_eio_text(body, EioType::kMessage, "2[\"a\"]");
  const std::byte bytes[] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  append_eio_binary(body, bytes);
  append_eio_text(body, EioType::kPing, "");
  EXPECT_EQ(body,
            "42[\"a\"]\x1e"
            "bAQIDBA==\x1e"
            "2");
}

TEST(EngineIo, Base64RoundTrips) {
  for (size_t n = 0; n < 40; ++n) {
    std::string data;
    for (size_t i = 0; i < n; ++i) data += static_cast<char>(i * 37 + 11);
    std::string text;
    append_base64(text, std::as_bytes(std::span(data)));
    std::string back;
    ASSERT_TRUE(decode_base64(text, back)) << text;
    EXPECT_EQ(back, data);
  }
}

TEST(EngineIo, OpenPacketHasExactlyTheFiveKeys) {
  EioOpen open;
  open.sid = "lv_VI97HAXpY6yYWAAAC";
  open.upgrade_to_websocket = true;
  EXPECT_EQ(eio_open_json(open),
            "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
            "\"pingTimeout\":20000,\"maxPayload\":1000000}");
  open.upgrade_to_websocket = false;
  EXPECT_NE(eio_open_json(open).find("\"upgrades\":[]"), std::string::npos);
}

}  // namespace
}  // namespace rg::proto
