#include "proto/binary_envelope.h"

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

TEST(BinaryEnvelope, WritesFramesAClientCanParseBack) {
  std::byte out[kMaxReplySize];
  size_t n = write_joined(out, "room", 0x0102030405060708, "id");
  auto expect = frame({kJoined, 0, 2, 'i', 'd', 4, 'r', 'o', 'o', 'm', 8, 7, 6, 5, 4, 3, 2, 1});
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

  n = write_gap(out, "r", 3, 9);
  expect = frame({kGap, 0, 0, 1, 'r', 3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(std::vector<std::byte>(out, out + n), expect);
  std::byte cookie[kCookieBytes] = {};
  EXPECT_EQ(write_cookie(out, std::span<const std::byte, kCookieBytes>(cookie)), 3 + kCookieBytes);
  EXPECT_LE(write_cookie(out, std::span<const std::byte, kCookieBytes>(cookie)), kMinHelloSize);
  EXPECT_EQ(write_ack(out, "", 1), 3u + 8u);
  EXPECT_EQ(write_pong(out, "ab"), 5u);
  EXPECT_EQ(write_left(out, "r", ""), 5u);
}

}  // namespace
}  // namespace rg::proto::bin
