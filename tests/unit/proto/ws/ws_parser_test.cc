#include "proto/ws/ws_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/support/ws_frames.h"

namespace rg::proto {
namespace {

using rg::testing::client_frame;
using rg::testing::close_payload;
using rg::testing::FrameSpec;
using rg::testing::op;

struct Recorder {
  std::vector<std::string> events;
  uint16_t error_code = 0;
  bool in_place_header_room_ok = true;
  std::vector<bool> in_place;
  const std::byte* buffer_begin = nullptr;

  static std::string str(std::span<const std::byte> s) {
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }
  void on_message(WsOpcode op, std::span<std::byte> payload, const core::BlockRef* block) {
    events.push_back((op == WsOpcode::kText ? "text:" : "binary:") + str(payload));
    in_place.push_back(block == nullptr);
    if (block == nullptr) {
      // The reply's header must fit in front of the payload, inside the fed buffer.
      if (payload.data() - buffer_begin <
          static_cast<ptrdiff_t>(server_header_size(payload.size()))) {
        in_place_header_room_ok = false;
      }
    } else if (payload.data() - (*block)->data() != static_cast<ptrdiff_t>(kMaxServerHeader)) {
      in_place_header_room_ok = false;
    }
  }
  void on_ping(std::span<const std::byte> p) { events.push_back("ping:" + str(p)); }
  void on_pong(std::span<const std::byte> p) { events.push_back("pong:" + str(p)); }
  void on_close(uint16_t code, std::span<const std::byte> reason) {
    events.push_back("close:" + std::to_string(code) + ":" + str(reason));
  }
  void on_error(uint16_t code, const char*) {
    error_code = code;
    events.push_back("error:" + std::to_string(code));
  }
};

// Feeds `wire` in pieces cut at `cuts`, each piece in its own buffer (as reads are).
Recorder parse(const std::string& wire, std::vector<size_t> cuts = {}, size_t max = 1 << 24) {
  Recorder r;
  WsParser<Recorder> parser(r, max);
  cuts.push_back(wire.size());
  size_t at = 0;
  for (size_t cut : cuts) {
    std::vector<std::byte> piece(reinterpret_cast<const std::byte*>(wire.data()) + at,
                                 reinterpret_cast<const std::byte*>(wire.data()) + cut);
    r.buffer_begin = piece.data();
    parser.feed(piece);
    at = cut;
  }
  return r;
}

TEST(WsParser, WholeMessageIsHandedOutInPlaceWithRoomForTheReplyHeader) {
  std::string big(70000, 'b');
  Recorder r = parse(client_frame("Hello") + client_frame(big, op(2)) + client_frame(""));
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0], "text:Hello");
  EXPECT_EQ(r.events[1], "binary:" + big);
  EXPECT_EQ(r.events[2], "text:");
  EXPECT_EQ(r.in_place, (std::vector<bool>{true, true, true}));
  EXPECT_TRUE(r.in_place_header_room_ok);
}

TEST(WsParser, SplitAtEveryByteBoundaryGivesTheSameEvents) {
  std::string wire = client_frame("Hel", op(1, false)) + client_frame("", op(9)) +
                     client_frame("lo", op(0, false)) + client_frame("!", op(0)) +
                     client_frame(std::string(300, 'x'), op(2)) + client_frame("", op(1)) +
                     client_frame("pong!", op(0xA)) +
                     client_frame(close_payload(1000, "bye"), op(8));
  std::vector<std::string> expected = {"ping:", "text:Hello!", "binary:" + std::string(300, 'x'),
                                       "text:", "pong:pong!",  "close:1000:bye"};
  EXPECT_EQ(parse(wire).events, expected);
  for (size_t i = 0; i <= wire.size(); ++i) {
    for (size_t j = i; j <= wire.size(); j += 5) {
      Recorder r = parse(wire, {i, j});
      ASSERT_EQ(r.events, expected) << i << " " << j;
      ASSERT_TRUE(r.in_place_header_room_ok) << i << " " << j;
    }
  }
}

TEST(WsParser, RandomSplitsOfLargeMessages) {
  std::mt19937 rng(3);
  std::string big(200000, '\0');
  for (char& c : big) c = static_cast<char>('a' + rng() % 26);
  std::string wire = client_frame(big, op(1)) + client_frame(big.substr(0, 100000), op(2, false)) +
                     client_frame(big.substr(100000), op(0));
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> cuts;
    for (size_t at = rng() % 20000; at < wire.size(); at += 1 + rng() % 20000) cuts.push_back(at);
    Recorder r = parse(wire, cuts);
    ASSERT_EQ(r.events.size(), 2u);
    EXPECT_EQ(r.events[0], "text:" + big);
    EXPECT_EQ(r.events[1], "binary:" + big);
    EXPECT_TRUE(r.in_place_header_room_ok);
  }
}

uint16_t error_of(const std::string& wire, size_t max = 1 << 24) {
  return parse(wire, {}, max).error_code;
}

TEST(WsParser, ProtocolErrorsCloseWith1002) {
  FrameSpec unmasked;
  unmasked.masked = false;
  EXPECT_EQ(error_of(client_frame("x", unmasked)), 1002);
  for (uint8_t rsv = 1; rsv < 8; ++rsv) {
    FrameSpec s;
    s.rsv = rsv;
    EXPECT_EQ(error_of(client_frame("x", s)), 1002) << int(rsv);
  }
  for (uint8_t code : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    EXPECT_EQ(error_of(client_frame("x", op(code))), 1002) << int(code);
  }
  EXPECT_EQ(error_of(client_frame("x", op(9, false))), 1002) << "fragmented ping";
  EXPECT_EQ(error_of(client_frame(std::string(126, 'p'), op(9))), 1002) << "ping over 125";
  EXPECT_EQ(error_of(client_frame("x", op(0))), 1002) << "continuation without a start";
  EXPECT_EQ(error_of(client_frame("a", op(1, false)) + client_frame("b", op(1))), 1002)
      << "new message inside a fragmented one";
  FrameSpec long_form;
  long_form.length_form = 126;
  EXPECT_EQ(error_of(client_frame("short", long_form)), 1002) << "non-minimal length";
  std::string top_bit = client_frame(std::string(70000, 'x'));
  top_bit[2] = static_cast<char>(0x80);
  EXPECT_EQ(error_of(top_bit), 1002) << "64-bit length with the top bit set";
}

TEST(WsParser, ErrorsFailOnTheFirstBytesThatShowThem) {
  // Only the first two header bytes of an unmasked frame: no need to wait for more.
  FrameSpec unmasked;
  unmasked.masked = false;
  EXPECT_EQ(error_of(client_frame(std::string(1000, 'x'), unmasked).substr(0, 2)), 1002);
}

TEST(WsParser, InvalidUtf8Closes1007AsSoonAsKnown) {
  EXPECT_EQ(error_of(client_frame("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80")),
            1007);
  // First fragment already invalid: fail without waiting for the rest of the message.
  EXPECT_EQ(error_of(client_frame("ok\xF4\x90", op(1, false))), 1007);
  // A code point split across fragments is fine.
  EXPECT_EQ(parse(client_frame("\xE2\x82", op(1, false)) + client_frame("\xAC", op(0))).events,
            std::vector<std::string>{"text:\xE2\x82\xAC"});
  EXPECT_EQ(error_of(client_frame("\xE2\x82", op(1, false)) + client_frame("x", op(0))), 1007);
  EXPECT_EQ(error_of(client_frame("\xE2\x82")), 1007) << "message ends mid code point";
  // Binary messages are not text.
  EXPECT_TRUE(parse(client_frame("\xFF\xFE", op(2))).error_code == 0);
}

TEST(WsParser, MessagesOverTheLimitClose1009FromTheHeader) {
  EXPECT_EQ(error_of(client_frame(std::string(101, 'x'), op(2)).substr(0, 10), 100), 1009);
  EXPECT_EQ(error_of(client_frame(std::string(60, 'x'), op(2, false)) +
                         client_frame(std::string(41, 'x'), op(0)),
                     100),
            1009);
  EXPECT_EQ(parse(client_frame(std::string(100, 'x'), op(2)), {}, 100).error_code, 0);
}

TEST(WsParser, CloseFramePayloadRules) {
  EXPECT_EQ(parse(client_frame("", op(8))).events, std::vector<std::string>{"close:1005:"});
  EXPECT_EQ(error_of(client_frame("x", op(8))), 1002);
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    EXPECT_EQ(error_of(client_frame(close_payload(code), op(8))), 1002) << code;
  }
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                        3000, 3999, 4000, 4999}) {
    EXPECT_EQ(parse(client_frame(close_payload(code), op(8))).events,
              std::vector<std::string>{"close:" + std::to_string(code) + ":"})
        << code;
  }
  EXPECT_EQ(error_of(client_frame(close_payload(1000, "\xFF"), op(8))), 1007);
}

TEST(WsParser, NothingIsParsedAfterCloseOrError) {
  Recorder r = parse(client_frame(close_payload(1000), op(8)) + client_frame("after"));
  EXPECT_EQ(r.events, std::vector<std::string>{"close:1000:"});
  FrameSpec unmasked;
  unmasked.masked = false;
  r = parse(client_frame("x", unmasked) + client_frame("after"));
  EXPECT_EQ(r.events, std::vector<std::string>{"error:1002"});
}

}  // namespace
}  // namespace rg::proto

namespace rg::proto {
namespace {

TEST(ServerHeader, DecodesWhatTheEncoderWrote) {
  for (size_t size :
       {size_t{0}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}, size_t{1} << 33}) {
    std::byte header[kMaxServerHeader];
    size_t n = encode_server_header(header, WsOpcode::kBinary, size);
    ServerHeader decoded = decode_server_header(header);
    EXPECT_EQ(decoded.op, WsOpcode::kBinary);
    EXPECT_EQ(decoded.header, n);
    EXPECT_EQ(decoded.payload, size);
  }
}

}  // namespace
}  // namespace rg::proto
