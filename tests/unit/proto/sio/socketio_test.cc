#include "proto/sio/socketio.h"

#include <gtest/gtest.h>

namespace rg::proto {
namespace {

class SocketIo : public ::testing::Test {
 protected:
  SioParse parse(std::string_view text) {
    input_ = simdjson::padded_string(text);
    return parse_sio_packet(std::string_view(input_.data(), input_.size()), parser_, packet_);
  }
  simdjson::dom::parser parser_;
  simdjson::padded_string input_;
  SioPacket packet_;
};

TEST_F(SocketIo, ParsesTheReferenceExamples) {
  ASSERT_EQ(parse("0"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kConnect);
  EXPECT_EQ(packet_.nsp, "/");
  EXPECT_FALSE(packet_.has_payload);

  ASSERT_EQ(parse("0{\"token\":\"123\"}"), SioParse::kOk);
  EXPECT_TRUE(packet_.has_payload);
  EXPECT_EQ(std::string_view(packet_.payload["token"].get_string().value()), "123");

  ASSERT_EQ(parse("0/admin,{\"token\":\"abc\"}"), SioParse::kOk);
  EXPECT_EQ(packet_.nsp, "/admin");
  ASSERT_EQ(parse("0/custom"), SioParse::kOk);  // the namespace may end the packet
  EXPECT_EQ(packet_.nsp, "/custom");
  ASSERT_EQ(parse("1"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kDisconnect);

  ASSERT_EQ(parse("2[\"foo\"]"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kEvent);
  EXPECT_FALSE(packet_.has_id);

  ASSERT_EQ(parse("2456[\"message-with-ack\",1]"), SioParse::kOk);
  EXPECT_TRUE(packet_.has_id);
  EXPECT_EQ(packet_.id, 456u);

  ASSERT_EQ(parse("3/admin,13[\"bar\"]"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kAck);
  EXPECT_EQ(packet_.nsp, "/admin");
  EXPECT_EQ(packet_.id, 13u);

  ASSERT_EQ(parse("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kBinaryEvent);
  EXPECT_EQ(packet_.attachments, 1u);

  ASSERT_EQ(parse("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
                  "\"num\":1}]"),
            SioParse::kOk);
  EXPECT_EQ(packet_.attachments, 2u);
  EXPECT_EQ(packet_.nsp, "/admin");

  ASSERT_EQ(parse("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]"), SioParse::kOk);
  EXPECT_EQ(packet_.type, SioType::kBinaryAck);
  EXPECT_EQ(packet_.id, 15u);

  ASSERT_EQ(parse("2[42]"), SioParse::kOk);  // a number is a valid event name
}

TEST_F(SocketIo, RefusesWhatTheReferenceServerCloses) {
  EXPECT_EQ(parse(""), SioParse::kUnknownType);
  EXPECT_EQ(parse("7"), SioParse::kUnknownType);
  EXPECT_EQ(parse("abc"), SioParse::kUnknownType);
  EXPECT_EQ(parse("5x-[\"a\"]"), SioParse::kBadAttachments);
  EXPECT_EQ(parse("5[\"a\"]"), SioParse::kBadAttachments);
  EXPECT_EQ(parse("5-[\"a\"]"), SioParse::kBadAttachments);
  EXPECT_EQ(parse("511-[\"a\"]"), SioParse::kBadAttachments);  // more than 10
  EXPECT_EQ(parse("29007199254740992[\"a\"]"), SioParse::kBadId);
  EXPECT_EQ(parse("2abc[\"a\"]"), SioParse::kBadJson);
  EXPECT_EQ(parse("2[\"a\""), SioParse::kBadJson);
  EXPECT_EQ(parse("0[]"), SioParse::kBadPayload);  // CONNECT: an object or nothing
  EXPECT_EQ(parse("0\"x\""), SioParse::kBadPayload);
  EXPECT_EQ(parse("1{}"), SioParse::kBadPayload);  // DISCONNECT: nothing
  EXPECT_EQ(parse("2{}"), SioParse::kBadPayload);  // EVENT: a non-empty array ...
  EXPECT_EQ(parse("2[]"), SioParse::kBadPayload);
  EXPECT_EQ(parse("2[null]"), SioParse::kBadPayload);  // ... named by a string or number
  EXPECT_EQ(parse("2[[\"a\"]]"), SioParse::kBadPayload);
  for (const char* reserved : {"connect", "connect_error", "disconnect", "disconnecting",
                               "newListener", "removeListener"}) {
    EXPECT_EQ(parse(std::string("2[\"") + reserved + "\"]"), SioParse::kBadPayload) << reserved;
  }
  EXPECT_EQ(parse("3{}"), SioParse::kBadPayload);  // ACK: an array
  EXPECT_EQ(parse("61-1{}"), SioParse::kBadPayload);
}

TEST(SocketIoEncode, WritesHeads) {
  std::string out;
  append_sio_head(out, SioType::kEvent);
  EXPECT_EQ(out, "2");
  out.clear();
  append_sio_head(out, SioType::kAck, "/", 0, true, 12);
  EXPECT_EQ(out, "312");
  out.clear();
  append_sio_head(out, SioType::kBinaryEvent, "/admin", 2, true, 7);
  EXPECT_EQ(out, "52-/admin,7");
  out.clear();
  append_json_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\u000a\\u0001\"");
}

}  // namespace
}  // namespace rg::proto
