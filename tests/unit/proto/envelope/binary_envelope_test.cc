#include "proto/envelope/binary_envelope.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace rg::proto::bin {
namespace {

std::vector<std::byte> frame(std::initializer_list<int> head, std::string_view tail = {}) {
  std::vector<std::byte> out;
  for (int b : head) out.push_back(static_cast<std::byte>(b));
  for (char c : tail) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(BinaryEnvelope, ParsesEachOp) {
  Request r;
  auto join = frame({kJoin, 0, 2, 'i', 'd', 3}, "abc");
  ASSERT_FALSE(parse_request(join, r));
  EXPECT_EQ(r.op, RequestOp::kJoin);
  EXPECT_EQ(r.id, "id");
  EXPECT_EQ(r.room, "abc");
  EXPECT_TRUE(r.cookie.empty());

  auto join_cookie = frame({kJoin, 0, 0, 1}, std::string("r") + std::string(16, 'c'));
  ASSERT_FALSE(parse_request(join_cookie, r));
  EXPECT_EQ(r.cookie, std::string(16, 'c'));

  auto pub = frame({kPub, kFlagEcho | kFlagJsonData, 0, 1}, "r{\"a\":1}");
  ASSERT_FALSE(parse_request(pub, r));
  EXPECT_EQ(r.op, RequestOp::kPub);
  EXPECT_TRUE(r.echo);
  EXPECT_TRUE(r.data_is_json);
  EXPECT_EQ(r.data, "{\"a\":1}");

  auto empty_pub = frame({kPub, 0, 0, 1}, "r");
  ASSERT_FALSE(parse_request(empty_pub, r));
  EXPECT_EQ(r.data, "");
  EXPECT_FALSE(r.echo);

  auto leave = frame({kLeave, 0, 0, 1}, "r");
  ASSERT_FALSE(parse_request(leave, r));
  EXPECT_EQ(r.op, RequestOp::kLeave);
  auto hello = frame({kHello, 0, 0});
  ASSERT_FALSE(parse_request(hello, r));
  EXPECT_EQ(r.op, RequestOp::kHello);
  auto ping = frame({kPing, 0, 1, 'p'});
  ASSERT_FALSE(parse_request(ping, r));
  EXPECT_EQ(r.op, RequestOp::kPing);
  EXPECT_EQ(r.id, "p");
}

TEST(BinaryEnvelope, AClientsRequestParsesBack) {
  std::byte out[kMaxRequestHead + 4];
  size_t n = write_request(out, kPub, kFlagEcho, "id", "room");
  std::memcpy(out + n, "data", 4);
  Request r;
  ASSERT_FALSE(parse_request({out, n + 4}, r));
  EXPECT_EQ(r.op, RequestOp::kPub);
  EXPECT_EQ(r.id, "id");
  EXPECT_EQ(r.room, "room");
  EXPECT_EQ(r.data, "data");
  EXPECT_TRUE(r.echo);
}

TEST(BinaryEnvelope, EveryMalformedFrameNamesItsError) {
  struct Case {
    std::vector<std::byte> bytes;
    ErrorCode code;
  } cases[] = {
      {frame({}), ErrorCode::kBadRequest},
      {frame({kJoin}), ErrorCode::kBadRequest},
      {frame({kJoin, 0}), ErrorCode::kBadRequest},
      {frame({kJoin, 0, 5, 'a'}), ErrorCode::kBadRequest},
      {frame({0x7f, 0, 0}), ErrorCode::kUnknownOp},
      {frame({kJoin, 0, 0}), ErrorCode::kBadRequest},
      {frame({kJoin, 0, 0, 4}, "ab"), ErrorCode::kBadRequest},
      {frame({kJoin, 0, 0, 0}), ErrorCode::kBadRoom},
      {frame({kJoin, 0, 0, 3}, "a b"), ErrorCode::kBadRoom},
      {frame({kJoin, 0, 0, 1}, "rxx"), ErrorCode::kBadCookie},
      {frame({kLeave, 0, 0, 1}, "rxx"), ErrorCode::kBadRequest},
      {frame({kJoin, 0, 200}, std::string(200, 'i') + "\x01r"), ErrorCode::kBadId},
      {frame({kJoin, 0, 0, 129}, std::string(129, 'a')), ErrorCode::kBadRoom},
  };
  for (const Case& c : cases) {
    Request r;
    RequestError error = parse_request(c.bytes, r);
    EXPECT_EQ(error.code, c.code) << "frame of " << c.bytes.size() << " bytes gave "
                                  << error_code_name(error.code);
  }
}

TEST(BinaryEnvelope, APublishMayNameItsEvent) {
  Request r;
  auto named = frame({kPub, kFlagEvent, 0, 1, 'r', 5}, "quotedata");  // the views point here
  ASSERT_FALSE(parse_request(named, r));
  EXPECT_EQ(r.event, "quote");
  EXPECT_EQ(r.data, "data");
  auto keyed = frame({kPub, kFlagKey | kFlagEvent, 0, 1, 'r', 1, 'k', 1}, "ed");
  ASSERT_FALSE(parse_request(keyed, r));
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.event, "e");
  EXPECT_EQ(parse_request(frame({kPub, kFlagEvent, 0, 1, 'r', 9}, "ab"), r).code,
            ErrorCode::kBadRequest);  // runs past the frame
  EXPECT_EQ(parse_request(frame({kPub, kFlagEvent, 0, 1, 'r', 0}, "ab"), r).code,
            ErrorCode::kBadRequest);  // empty
  EXPECT_EQ(parse_request(frame({kPub, kFlagEvent, 0, 1, 'r', 2}, "a\"b"), r).code,
            ErrorCode::kBadRequest);  // a quote
}

TEST(BinaryEnvelope, WritesFramesAClientCanParseBack) {
  std::byte out[kMaxReplySize];
  size_t n = write_joined(out, "room", 0x0102030405060708, "ep", "0.1", false, false, "id");
  auto expect = frame({kJoined, 0, 2, 'i', 'd', 4, 'r', 'o', 'o', 'm', 8,   7,  6,
                       5,       4, 3, 2,   1,   2, 'e', 'p', 3,   '0', '.', '1'});
  ASSERT_EQ(n, expect.size());
  EXPECT_EQ(std::vector<std::byte>(out, out + n), expect);

  n = write_error(out, ErrorCode::kBadRoom, "why", "");
  expect = frame({kError, 0, 0, 4, 3, 0, 'w', 'h', 'y'});
  EXPECT_EQ(std::vector<std::byte>(out, out + n), expect);

  std::string data = "payload";
  std::vector<std::byte> msg(msg_size("r", data.size()));
  write_msg(msg.data(), "r", 2, data, true);
  expect = frame({kMsg, kFlagJsonData, 0, 1, 'r', 2, 0, 0, 0, 0, 0, 0, 0}, data);
  EXPECT_EQ(msg, expect);
  // With an event name: flag 0x08, the name after the seq.
  msg.assign(msg_size("r", data.size(), "ev"), std::byte{0});
  write_msg(msg.data(), "r", 2, data, true, "ev");
  expect = frame({kMsg, kFlagJsonData | kFlagEvent, 0, 1, 'r', 2, 0, 0, 0, 0, 0, 0, 0, 2, 'e', 'v'},
                 data);
  EXPECT_EQ(msg, expect);

  n = write_gap(out, "r", 3, 9);
  expect = frame({kGap, 0, 0, 1, 'r', 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(std::vector<std::byte>(out, out + n), expect);
  n = write_conflated(out, "r", 258);
  expect = frame({kConflated, 0, 0, 1, 'r', 2, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(std::vector<std::byte>(out, out + n), expect);
  std::byte cookie[kCookieBytes] = {};
  EXPECT_EQ(write_cookie(out, std::span<const std::byte, kCookieBytes>(cookie)), 3 + kCookieBytes);
  EXPECT_LE(write_cookie(out, std::span<const std::byte, kCookieBytes>(cookie)), kMinHelloSize);
  EXPECT_EQ(write_ack(out, "", 1, false), 3u + 8u);
  write_ack(out, "", 1, true);
  EXPECT_EQ(std::to_integer<uint8_t>(out[1]), kFlagDuplicate);
  write_joined(out, "r", 1, "e", "m", true, true, "");
  EXPECT_EQ(std::to_integer<uint8_t>(out[1]), kFlagResumed | kFlagRecovered);
  write_joined(out, "r", 1, "e", "m", true, false, "");
  EXPECT_EQ(std::to_integer<uint8_t>(out[1]), kFlagResumed);
  EXPECT_EQ(write_pong(out, "ab"), 5u);
  EXPECT_EQ(write_left(out, "r", ""), 5u);
}

TEST(BinaryEnvelope, ReadsResumeInfoPresenceAndKey) {
  Request r;
  auto join = frame({kJoin, kFlagResume | kFlagInfo | kFlagPresence,
                     0,     1,
                     'r',   9,
                     0,     0,
                     0,     0,
                     0,     0,
                     1,     2,
                     'e',   'p',
                     2,     0,
                     '{',   '}'});
  ASSERT_FALSE(parse_request(join, r));
  EXPECT_EQ(r.op, RequestOp::kJoin);
  EXPECT_TRUE(r.has_since);
  EXPECT_EQ(r.since, (uint64_t{1} << 56) | 9);
  EXPECT_EQ(r.epoch, "ep");
  EXPECT_EQ(r.info, "{}");
  EXPECT_TRUE(r.presence);
  // With a UDP cookie after them.
  auto with_cookie = join;
  with_cookie.resize(with_cookie.size() + kCookieBytes);
  ASSERT_FALSE(parse_request(with_cookie, r));
  EXPECT_EQ(r.cookie.size(), kCookieBytes);

  auto pub = frame({kPub, kFlagKey, 0, 1, 'r', 2, 'k', '1'}, "data");
  ASSERT_FALSE(parse_request(pub, r));
  EXPECT_EQ(r.key, "k1");
  EXPECT_EQ(r.data, "data");

  // A conflation key after the key and the event.
  auto conflated = frame({kPub, kFlagKey | kFlagEvent | kFlagConflationKey, 0, 1, 'r', 1, 'k', 1,
                          'e', 3, 'B', 'T', 'C'},
                         "42");
  ASSERT_FALSE(parse_request(conflated, r));
  EXPECT_EQ(r.key, "k");
  EXPECT_EQ(r.event, "e");
  EXPECT_EQ(r.ckey, "BTC");
  EXPECT_EQ(r.data, "42");
  EXPECT_EQ(parse_request(frame({kPub, kFlagConflationKey, 0, 1, 'r', 0}), r).code,
            ErrorCode::kBadRequest);  // empty
  EXPECT_EQ(parse_request(frame({kPub, kFlagConflationKey, 0, 1, 'r', 4, 'B'}), r).code,
            ErrorCode::kBadRequest);  // cut short

  auto presence = frame({kPresence, 0, 1, '7', 1, 'r'});
  ASSERT_FALSE(parse_request(presence, r));
  EXPECT_EQ(r.op, RequestOp::kPresence);
  EXPECT_EQ(r.room, "r");

  EXPECT_EQ(parse_request(frame({kJoin, kFlagResume, 0, 1, 'r', 1, 0, 0}), r).code,
            ErrorCode::kBadRequest);  // since cut short
  EXPECT_EQ(parse_request(frame({kJoin, kFlagInfo, 0, 1, 'r', 5, 0, '{'}), r).code,
            ErrorCode::kBadRequest);  // info cut short
  EXPECT_EQ(parse_request(frame({kPub, kFlagKey, 0, 1, 'r', 0}), r).code, ErrorCode::kBadRequest);
  EXPECT_EQ(parse_request(frame({kPub, kFlagKey, 0, 1, 'r', 3, 'k'}), r).code,
            ErrorCode::kBadRequest);
}

TEST(BinaryEnvelope, WritesPresenceFrames) {
  std::string out;
  append_presence_head(out, "r", "i", 3, 1);
  append_presence_member(out, "0.1", "{}");
  std::string expect = std::string{char(kPresenceList), 0, 1, 'i', 1, 'r', 3, 0, 0, 0, 1, 0} +
                       std::string{3, '0', '.', '1', 2, 0, '{', '}'};
  EXPECT_EQ(out, expect);
  out.clear();
  append_presence_event(out, "r", false, "0.1", "{}");
  expect = std::string{char(kPresenceEvent), 0, 0, 1, 'r', kEventLeave, 3, '0', '.', '1', 0, 0};
  EXPECT_EQ(out, expect);
}

}  // namespace
}  // namespace rg::proto::bin
