#include "proto/envelope/json_envelope.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace rg::proto {
namespace {

// Holds a request with the padding simdjson reads ahead into.
struct Padded {
  explicit Padded(std::string text) : size(text.size()) {
    storage = std::move(text);
    storage.append(kJsonPadding, ' ');
  }
  std::string_view view() const { return std::string_view(storage).substr(0, size); }
  std::string storage;
  size_t size;
};

struct Parsed {
  RequestError error;
  Request request;
};

Parsed parse(JsonRequestParser& parser, const Padded& text) {
  Parsed out;
  out.error = parser.parse(text.view(), out.request);
  return out;
}

TEST(JsonEnvelope, ParsesJoinLeavePubPing) {
  JsonRequestParser parser;
  Padded join(R"({"op":"join","room":"lobby","id":7})");
  Parsed p = parse(parser, join);
  ASSERT_FALSE(p.error) << p.error.message;
  EXPECT_EQ(p.request.op, RequestOp::kJoin);
  EXPECT_EQ(p.request.room, "lobby");
  EXPECT_EQ(p.request.id, "7");

  Padded leave(R"( { "room" : "a.b:c-d_9" , "op" : "leave", "id": "x\"y" } )");
  p = parse(parser, leave);
  ASSERT_FALSE(p.error) << p.error.message;
  EXPECT_EQ(p.request.op, RequestOp::kLeave);
  EXPECT_EQ(p.request.room, "a.b:c-d_9");
  EXPECT_EQ(p.request.id, R"("x\"y")");

  Padded ping(R"({"op":"ping"})");
  p = parse(parser, ping);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.request.op, RequestOp::kPing);
}

TEST(JsonEnvelope, PubDataIsThePublishersExactBytes) {
  JsonRequestParser parser;
  const char* values[] = {
      R"({"x": [1, 2.5e3, "s\u00e9", null, true, {"y": {}}], "z" : "w"})",
      R"("just a string")",
      "12345678901234567890",
      "-0.5",
      "null",
      "false",
      "[]",
      R"([ [ [ ] ] ])",
  };
  for (const char* value : values) {
    for (const char* tail : {"", " ", "  \n"}) {
      Padded pub(std::string(R"({"op":"pub","room":"r","data":)") + value + tail +
                 R"(,"echo":true})");
      Parsed p = parse(parser, pub);
      ASSERT_FALSE(p.error) << value << ": " << p.error.message;
      EXPECT_EQ(p.request.data, value);
      EXPECT_TRUE(p.request.data_is_json);
      EXPECT_TRUE(p.request.echo);
    }
    Padded last(std::string(R"({"op":"pub","room":"r","data":)") + value + "}");
    Parsed p = parse(parser, last);
    ASSERT_FALSE(p.error) << value;
    EXPECT_EQ(p.request.data, value);
  }
}

TEST(JsonEnvelope, EveryMalformedRequestNamesItsError) {
  JsonRequestParser parser;
  struct Case {
    const char* text;
    ErrorCode code;
  } cases[] = {
      {"", ErrorCode::kBadJson},
      {"{", ErrorCode::kBadJson},
      {"{\"op\":\"join\",\"room\":\"r\"", ErrorCode::kBadJson},
      {"{\"op\":\"join\",\"room\":\"r\"} trailing", ErrorCode::kBadJson},
      {"[1,2]", ErrorCode::kBadRequest},
      {"\"join\"", ErrorCode::kBadRequest},
      {"{}", ErrorCode::kBadRequest},
      {R"({"room":"r"})", ErrorCode::kBadRequest},
      {R"({"op":5,"room":"r"})", ErrorCode::kBadRequest},
      {R"({"op":"dance","room":"r"})", ErrorCode::kUnknownOp},
      {R"({"op":"join"})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":""})", ErrorCode::kBadRoom},
      {R"({"op":"join","room":"a b"})", ErrorCode::kBadRoom},
      {R"({"op":"join","room":"caf\u00e9"})", ErrorCode::kBadRoom},
      {R"({"op":"join","room":7})", ErrorCode::kBadRoom},
      {R"({"op":"join","room":"r","id":[1]})", ErrorCode::kBadId},
      {R"({"op":"join","room":"r","id":null})", ErrorCode::kBadId},
      {R"({"op":"pub","room":"r"})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":[1,}})", ErrorCode::kBadJson},
      {R"({"op":"pub","room":"r","data":tru})", ErrorCode::kBadJson},
      {R"({"op":"pub","room":"r","data":{"a" 1}})", ErrorCode::kBadJson},
      {R"({"op":"pub","room":"r","data":"\x"})", ErrorCode::kBadJson},
      {R"({"op":"pub","room":"r","data":1,"echo":"yes"})", ErrorCode::kBadRequest},
      {R"({"op":"join","op":"leave","room":"r"})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","extra":[1,2,}})", ErrorCode::kBadJson},
  };
  for (const Case& c : cases) {
    Parsed p = parse(parser, Padded(c.text));
    EXPECT_EQ(p.error.code, c.code) << c.text << " gave " << error_code_name(p.error.code);
    EXPECT_STRNE(p.error.message, "") << c.text;
  }
  std::string room(129, 'a');
  Parsed p = parse(parser, Padded(R"({"op":"join","room":")" + room + "\"}"));
  EXPECT_EQ(p.error.code, ErrorCode::kBadRoom);
  std::string deep = std::string(70, '[') + std::string(70, ']');
  p = parse(parser, Padded(R"({"op":"pub","room":"r","data":)" + deep + "}"));
  EXPECT_EQ(p.error.code, ErrorCode::kBadJson);
}

TEST(JsonEnvelope, ValidatesAValueFromABinaryClient) {
  JsonRequestParser parser;
  for (const char* ok : {"1", " {\"a\":[1,{}]} ", "\"s\"", "null", "[true,false]"}) {
    EXPECT_TRUE(parser.is_valid_value(ok)) << ok;
  }
  for (const char* bad : {"", "{", "[1,]", "1 2", "tru", "\"\\x\"", "{\"a\" 1}", "[1] x"}) {
    EXPECT_FALSE(parser.is_valid_value(bad)) << bad;
  }
}

// Data from a binary publisher is spliced into JSON members' frames: anything but exactly
// one JSON value could forge fields ("x","op":"gap") or break the frame ("x"}).
TEST(JsonEnvelope, AValueFromABinaryClientHasNothingAfterIt) {
  JsonRequestParser parser;
  const char* values[] = {"\"hi\"",
                          "null",
                          "false",
                          "true",
                          "0",
                          "-1.5e3",
                          "{}",
                          "[]",
                          "{\"a\":[1,null]}",
                          "[\"x\",{\"y\":false}]"};
  const char* tails[] = {",\"op\":\"gap\",\"from\":1,\"to\":99999",
                         ",\"op\":\"error\",\"code\":\"x\"",
                         "}",
                         "]",
                         std::string_view("\0", 1).data(),
                         " x",
                         ",1",
                         ":1",
                         "\"",
                         "{}",
                         " null"};
  for (const char* value : values) {
    EXPECT_TRUE(parser.is_valid_value(value)) << value;
    EXPECT_TRUE(parser.is_valid_value(std::string(" ") + value + " \n")) << value;
    for (const char* tail : tails) {
      std::string text = std::string(value) + tail;
      if (*tail == '\0') text.push_back('\0');
      EXPECT_FALSE(parser.is_valid_value(text)) << text;
    }
  }
  EXPECT_FALSE(parser.is_valid_value("1],[2"));
  EXPECT_FALSE(parser.is_valid_value("1]"));
  EXPECT_FALSE(parser.is_valid_value(" "));
}

// Valid JSON numbers are valid whatever their size: the gateway forwards them as they are.
TEST(JsonEnvelope, IntegersOfAnyLengthAreValidJson) {
  JsonRequestParser parser;
  std::string big = "123456789012345678901234567890";
  EXPECT_TRUE(parser.is_valid_value(big));
  EXPECT_TRUE(parser.is_valid_value("-" + big + ".5e-400"));
  Padded pub(R"({"op":"pub","room":"r","data":[)" + big + R"(],"id":)" + big + "}");
  Parsed p = parse(parser, pub);
  ASSERT_FALSE(p.error) << p.error.message;
  EXPECT_EQ(p.request.data, "[" + big + "]");
  EXPECT_EQ(p.request.id, big);
  for (const char* bad : {"01", "1.", ".5", "-", "1e", "1e+", "+1", "0x1", "1.5.5", "--1"}) {
    EXPECT_FALSE(parser.is_valid_value(bad)) << bad;
    Padded text(std::string(R"({"op":"pub","room":"r","data":)") + bad + "}");
    EXPECT_EQ(parse(parser, text).error.code, ErrorCode::kBadJson) << bad;
  }
}

// The limit is 128 bytes of id: a string's quotes do not count.
TEST(JsonEnvelope, StringIdsUpTo128BytesAreAccepted) {
  JsonRequestParser parser;
  for (size_t n : {126u, 127u, 128u}) {
    std::string id = "\"" + std::string(n, 'i') + "\"";
    Padded text(R"({"op":"ping","id":)" + id + "}");  // the id points into it
    Parsed p = parse(parser, text);
    ASSERT_FALSE(p.error) << n;
    EXPECT_EQ(p.request.id, id);
  }
  Parsed p = parse(parser, Padded(R"({"op":"ping","id":")" + std::string(129, 'i') + "\"}"));
  EXPECT_EQ(p.error.code, ErrorCode::kBadId);
  p = parse(parser, Padded(R"({"op":"ping","id":)" + std::string(128, '1') + "}"));
  EXPECT_FALSE(p.error);
  p = parse(parser, Padded(R"({"op":"ping","id":)" + std::string(129, '1') + "}"));
  EXPECT_EQ(p.error.code, ErrorCode::kBadId);
}

// A field the op does not use is ignored like an unknown one: only its JSON must be valid.
TEST(JsonEnvelope, FieldsAnOpDoesNotUseAreNotTypeChecked) {
  JsonRequestParser parser;
  for (const char* text :
       {R"({"op":"ping","room":[1]})", R"({"op":"ping","echo":"yes"})",
        R"({"op":"join","room":"r","echo":7})", R"({"op":"leave","room":"r","echo":{}})",
        R"({"op":"ping","room":"not a room"})"}) {
    Parsed p = parse(parser, Padded(text));
    EXPECT_FALSE(p.error) << text << " gave " << error_code_name(p.error.code);
  }
  EXPECT_EQ(parse(parser, Padded(R"({"op":"ping","room":[1,]})")).error.code, ErrorCode::kBadJson);
  EXPECT_EQ(parse(parser, Padded(R"({"op":"join","room":[1]})")).error.code, ErrorCode::kBadRoom);
  EXPECT_EQ(parse(parser, Padded(R"({"op":"pub","room":"r","data":1,"echo":7})")).error.code,
            ErrorCode::kBadRequest);
}

// A lone surrogate escape cannot become UTF-8: refused as bad JSON (docs/PROTOCOL.md).
TEST(JsonEnvelope, LoneSurrogatesAreRefused) {
  JsonRequestParser parser;
  EXPECT_EQ(parse(parser, Padded(R"({"op":"pub","room":"r","data":"\ud800"})")).error.code,
            ErrorCode::kBadJson);
  EXPECT_FALSE(parser.is_valid_value(R"("\udc00")"));
  EXPECT_TRUE(parser.is_valid_value(R"("\ud83d\ude00")"));
}

TEST(JsonEnvelope, ErrorRepliesRepeatTheIdWhenItWasRead) {
  JsonRequestParser parser;
  Padded text(R"({"id":"q1","op":"dance"})");
  Parsed p = parse(parser, text);
  EXPECT_EQ(p.error.code, ErrorCode::kUnknownOp);
  EXPECT_EQ(p.request.id, "\"q1\"");
  std::string out;
  append_json_error(out, p.error.code, p.error.message, p.request.id);
  EXPECT_EQ(
      out,
      R"J({"op":"error","code":"unknown_op","message":"unknown \"op\" (join, leave, pub, presence, session, auth, ping)","id":"q1"})J");
}

TEST(JsonEnvelope, APublishMayNameItsEvent) {
  JsonRequestParser parser;
  Request r;
  std::string text = R"({"op":"pub","room":"r","event":"chat message","data":1})";
  text.append(kJsonPadding, ' ');
  ASSERT_FALSE(parser.parse(std::string_view(text).substr(0, text.size() - kJsonPadding), r));
  EXPECT_EQ(r.event, "chat message");
  const std::string bad_events[] = {R"("")",       R"("a\"b")", R"("a\\b")",
                                    R"("\u0001")", "1",         '"' + std::string(65, 'e') + '"'};
  for (const std::string& bad : bad_events) {
    std::string t = R"({"op":"pub","room":"r","data":1,"event":)" + bad + "}";
    size_t size = t.size();
    t.append(kJsonPadding, ' ');
    RequestError e = parser.parse(std::string_view(t).substr(0, size), r);
    EXPECT_EQ(e.code, ErrorCode::kBadRequest) << bad;
  }
  std::string out(json_msg_size("r", 7, "ev", 1, true), '#');
  write_json_msg(out.data(), "r", 7, "ev", "1", true);
  EXPECT_EQ(out, R"({"op":"msg","room":"r","seq":7,"event":"ev","data":1})");
}

TEST(JsonEnvelope, WritesMessagesOfTheExactAnnouncedSize) {
  for (bool json : {true, false}) {
    for (std::string data : {std::string("{\"a\":1}"), std::string(""), std::string("ab"),
                             std::string("\x00\xff\x10", 3)}) {
      if (json && data.empty()) continue;
      size_t size = json_msg_size("room", 1234567, "", data.size(), json);
      std::string out(size + 8, '#');
      write_json_msg(out.data(), "room", 1234567, "", data, json);
      EXPECT_EQ(out.substr(size), "########");
      EXPECT_EQ(out[size - 1], '}');
      if (json) {
        EXPECT_EQ(out.substr(0, size),
                  R"({"op":"msg","room":"room","seq":1234567,"data":)" + data + "}");
      }
    }
  }
  std::string out(json_msg_size("r", 1, "", 3, false), '#');
  write_json_msg(out.data(), "r", 1, "", std::string_view("\x00\xff\x10", 3), false);
  EXPECT_EQ(out, R"({"op":"msg","room":"r","seq":1,"bin":true,"data":"AP8Q"})");
}

TEST(JsonEnvelope, RepliesAreTheDocumentedJson) {
  std::string out;
  JoinedReply joined{"r", 5, "00ab", "1.7"};
  append_json_joined(out, joined, "1");
  append_json_left(out, "r", "");
  append_json_ack(out, "\"a\"", 9, false);
  append_json_gap(out, "r", 3, 7);
  append_json_conflated(out, "r", 12);
  append_json_pong(out, "2");
  EXPECT_EQ(out, R"({"op":"joined","room":"r","seq":5,"epoch":"00ab","member":"1.7","id":1})"
                 R"({"op":"left","room":"r"})"
                 R"({"op":"ack","id":"a","seq":9})"
                 R"({"op":"gap","room":"r","from":3,"to":7})"
                 R"({"op":"conflated","room":"r","count":12})"
                 R"({"op":"pong","id":2})");
}

TEST(JsonEnvelope, ResumeKeysAndPresenceRepliesAreTheDocumentedJson) {
  std::string out;
  JoinedReply joined{"r", 5, "e", "0.1", true, true};
  append_json_joined(out, joined, "");
  joined.recovered = false;
  append_json_joined(out, joined, "");
  append_json_ack(out, "3", 9, true);
  append_json_presence_head(out, "r", "4", 2);
  append_json_presence_member(out, true, "0.1", R"({"n":"ann"})");
  append_json_presence_member(out, false, "1.1", "");
  append_json_presence_tail(out);
  append_json_presence_event(out, "r", true, "0.2", "");
  append_json_presence_event(out, "r", false, "0.2", "ignored");
  EXPECT_EQ(out,
            R"({"op":"joined","room":"r","seq":5,"epoch":"e","member":"0.1","recovered":true})"
            R"({"op":"joined","room":"r","seq":5,"epoch":"e","member":"0.1","recovered":false})"
            R"({"op":"ack","id":3,"seq":9,"duplicate":true})"
            R"({"op":"presence","room":"r","id":4,"count":2,"members":[)"
            R"({"member":"0.1","info":{"n":"ann"}},{"member":"1.1","info":{}}]})"
            R"({"op":"presence","room":"r","event":"join","member":"0.2","info":{}})"
            R"({"op":"presence","room":"r","event":"leave","member":"0.2"})");
}

Request parse_ok(JsonRequestParser& parser, std::string text) {
  text.append(kJsonPadding, ' ');
  Request r;
  RequestError e = parser.parse(std::string_view(text.data(), text.size() - kJsonPadding), r);
  EXPECT_FALSE(e) << text << ": " << e.message;
  return r;
}

RequestError parse_error(JsonRequestParser& parser, std::string text) {
  text.append(kJsonPadding, ' ');
  Request r;
  return parser.parse(std::string_view(text.data(), text.size() - kJsonPadding), r);
}

TEST(JsonEnvelope, ReadsResumePresenceAndKeyFields) {
  JsonRequestParser parser;
  std::string text = R"({"op":"join","room":"r","since":18446744073709551615,"epoch":"ab",)"
                     R"("info":{"name":"x","tags":[1,2]},"presence":true})";
  text.append(kJsonPadding, ' ');
  Request r;
  ASSERT_FALSE(parser.parse(std::string_view(text.data(), text.size() - kJsonPadding), r));
  EXPECT_EQ(r.op, RequestOp::kJoin);
  EXPECT_TRUE(r.has_since);
  EXPECT_EQ(r.since, UINT64_MAX);
  EXPECT_EQ(r.epoch, "ab");
  EXPECT_EQ(r.info, R"({"name":"x","tags":[1,2]})");
  EXPECT_TRUE(r.presence);

  Request plain = parse_ok(parser, R"({"op":"join","room":"r"})");
  EXPECT_FALSE(plain.has_since);
  EXPECT_TRUE(plain.info.empty());
  EXPECT_FALSE(plain.presence);

  std::string pub = R"({"op":"pub","room":"r","data":1,"key":"k-1"})";
  pub.append(kJsonPadding, ' ');
  ASSERT_FALSE(parser.parse(std::string_view(pub.data(), pub.size() - kJsonPadding), r));
  EXPECT_EQ(r.key, "k-1");
  EXPECT_TRUE(r.ckey.empty());
  std::string conflated = R"({"op":"pub","room":"r","data":1,"ckey":"BTC-USD"})";
  conflated.append(kJsonPadding, ' ');
  ASSERT_FALSE(
      parser.parse(std::string_view(conflated.data(), conflated.size() - kJsonPadding), r));
  EXPECT_EQ(r.ckey, "BTC-USD");
  EXPECT_TRUE(r.key.empty());

  EXPECT_EQ(parse_ok(parser, R"({"op":"presence","room":"r","id":1})").op, RequestOp::kPresence);
  // Fields an op does not use are not checked for their type.
  EXPECT_FALSE(parse_error(parser, R"({"op":"pub","room":"r","data":1,"since":"x"})"));
  EXPECT_FALSE(parse_error(parser, R"({"op":"join","room":"r","key":7})"));
}

TEST(JsonEnvelope, RefusesBadResumePresenceAndKeyFields) {
  JsonRequestParser parser;
  struct Case {
    const char* text;
    ErrorCode code;
  } cases[] = {
      {R"({"op":"join","room":"r","since":-1})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","since":1.5})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","since":18446744073709551616})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","since":"1"})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","since":01})", ErrorCode::kBadJson},
      {R"({"op":"join","room":"r","epoch":5})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","info":[1]})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","info":{"a":}})", ErrorCode::kBadJson},
      {R"({"op":"join","room":"r","presence":1})", ErrorCode::kBadRequest},
      {R"({"op":"join","room":"r","since":1,"since":2})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":1,"key":""})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":1,"key":1})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":1,"ckey":""})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":1,"ckey":["a"]})", ErrorCode::kBadRequest},
      {R"({"op":"pub","room":"r","data":1,"ckey":"a","ckey":"b"})", ErrorCode::kBadRequest},
      {R"({"op":"presence"})", ErrorCode::kBadRequest},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_error(parser, c.text).code, c.code) << c.text;
  std::string long_key =
      R"({"op":"pub","room":"r","data":1,"key":")" + std::string(65, 'k') + "\"}";
  EXPECT_EQ(parse_error(parser, long_key).code, ErrorCode::kBadRequest);
  std::string ok_key = R"({"op":"pub","room":"r","data":1,"key":")" + std::string(64, 'k') + "\"}";
  EXPECT_FALSE(parse_error(parser, ok_key));
  std::string long_ckey =
      R"({"op":"pub","room":"r","data":1,"ckey":")" + std::string(65, 'c') + "\"}";
  EXPECT_EQ(parse_error(parser, long_ckey).code, ErrorCode::kBadRequest);
  std::string long_epoch = R"({"op":"join","room":"r","epoch":")" + std::string(65, 'e') + "\"}";
  EXPECT_EQ(parse_error(parser, long_epoch).code, ErrorCode::kBadRequest);
}

TEST(JsonEnvelope, ReadsSessionRequests) {
  JsonRequestParser parser;
  std::string text = R"({"op":"session","session":"1-ab","rooms":{"lobby":41,"game":0},"id":2})";
  text.append(kJsonPadding, ' ');
  Request r;
  ASSERT_FALSE(parser.parse(std::string_view(text.data(), text.size() - kJsonPadding), r));
  EXPECT_EQ(r.op, RequestOp::kSession);
  EXPECT_EQ(r.session, "1-ab");
  std::vector<std::pair<std::string, uint64_t>> offsets;
  parser.for_each_offset(
      r,
      [](void* out, std::string_view room, uint64_t seq) {
        static_cast<std::vector<std::pair<std::string, uint64_t>>*>(out)->emplace_back(room, seq);
      },
      &offsets);
  EXPECT_EQ(offsets, (std::vector<std::pair<std::string, uint64_t>>{{"lobby", 41}, {"game", 0}}));
  EXPECT_FALSE(parse_error(parser, R"({"op":"session"})"));
  EXPECT_EQ(parse_error(parser, R"({"op":"session","rooms":{"lobby":-1}})").code,
            ErrorCode::kBadRequest);
  EXPECT_EQ(parse_error(parser, R"({"op":"session","rooms":{"bad room":1}})").code,
            ErrorCode::kBadRequest);
  EXPECT_EQ(parse_error(parser, R"({"op":"session","rooms":[1]})").code, ErrorCode::kBadRequest);
  EXPECT_EQ(parse_error(parser, R"({"op":"session","session":7})").code, ErrorCode::kBadRequest);
  std::string out;
  append_json_session(out, "0-ff", true, "2");
  EXPECT_EQ(out, R"({"op":"session","session":"0-ff","resumed":true,"id":2})");
}

}  // namespace
}  // namespace rg::proto

namespace rg::proto {
namespace {

RequestError parse_padded(JsonRequestParser& parser, std::string text, Request& r) {
  size_t size = text.size();
  text.append(kJsonPadding, ' ');
  static std::string keep;  // the request's views point into the text
  keep = std::move(text);
  return parser.parse(std::string_view(keep.data(), size), r);
}

TEST(JsonEnvelope, AuthCarriesItsToken) {
  JsonRequestParser parser;
  Request r;
  ASSERT_FALSE(parse_padded(parser, R"({"op":"auth","token":"a.b.c","id":1})", r));
  EXPECT_EQ(r.op, RequestOp::kAuth);
  EXPECT_EQ(r.token, "a.b.c");
  EXPECT_EQ(parse_padded(parser, R"({"op":"auth"})", r).code, ErrorCode::kBadRequest);
  EXPECT_EQ(parse_padded(parser, R"({"op":"auth","token":""})", r).code, ErrorCode::kBadRequest);
  EXPECT_EQ(parse_padded(parser, R"({"op":"auth","token":7})", r).code, ErrorCode::kBadRequest);
  std::string reply;
  append_json_auth(reply, "u\"1", 42, "1");
  EXPECT_EQ(reply, R"({"op":"auth","sub":"u\"1","exp":42,"id":1})");
}

}  // namespace
}  // namespace rg::proto
