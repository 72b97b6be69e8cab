#include "proto/http/http_request.h"

#include <gtest/gtest.h>

#include <string>

namespace rg::proto {
namespace {

const std::string kRequest =
    "GET /echo?x=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

TEST(HttpRequest, ParsesInPlace) {
  HttpRequest r;
  ASSERT_EQ(parse_http_request(kRequest, {}, r), HttpParse::kComplete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/echo?x=1");
  EXPECT_EQ(r.minor_version, 1);
  EXPECT_EQ(r.header_count, 5u);
  EXPECT_EQ(r.header("host"), "example.com");
  EXPECT_EQ(r.header("CONNECTION"), "keep-alive, Upgrade");
  EXPECT_EQ(r.head_size, kRequest.size());
  // Views into the input, not copies.
  EXPECT_GE(r.target.data(), kRequest.data());
  EXPECT_LT(r.target.data(), kRequest.data() + kRequest.size());
}

TEST(HttpRequest, EveryPrefixIsIncompleteAndBytesAfterTheHeadAreNotPartOfIt) {
  HttpRequest r;
  for (size_t n = 0; n < kRequest.size(); ++n) {
    ASSERT_EQ(parse_http_request(kRequest.substr(0, n), {}, r), HttpParse::kIncomplete) << n;
  }
  std::string with_more = kRequest + "\x81\x85 frame bytes";
  ASSERT_EQ(parse_http_request(with_more, {}, r), HttpParse::kComplete);
  EXPECT_EQ(r.head_size, kRequest.size());
}

TEST(HttpRequest, MalformedRequestsAreBadRequests) {
  for (const char* bad : {
           "GET\r\n\r\n",
           "GET /\r\n\r\n",
           "GET / HTTP/2.0\r\n\r\n",
           "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
           "GET / HTTP/1.1\r\nName : space before colon\r\n\r\n",
           "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
           "G(T / HTTP/1.1\r\n\r\n",
           "GET /a\x01 HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
       }) {
    HttpRequest r;
    EXPECT_EQ(parse_http_request(bad, {}, r), HttpParse::kBadRequest) << bad;
  }
}

TEST(HttpRequest, LimitsAreEnforcedBeforeTheHeadEnds) {
  HttpLimits limits;
  limits.max_request_line = 100;
  limits.max_head = 300;
  limits.max_headers = 3;
  HttpRequest r;
  EXPECT_EQ(parse_http_request("GET /" + std::string(200, 'a'), limits, r), HttpParse::kUriTooLong);
  std::string many = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
  EXPECT_EQ(parse_http_request(many, limits, r), HttpParse::kHeadersTooLarge);
  std::string huge = "GET / HTTP/1.1\r\nA: " + std::string(400, 'x');  // no end in sight
  EXPECT_EQ(parse_http_request(huge, limits, r), HttpParse::kHeadersTooLarge);
}

TEST(HttpRequest, TokenListsAreCaseInsensitive) {
  EXPECT_TRUE(header_has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(header_has_token("UPGRADE", "upgrade"));
  EXPECT_TRUE(header_has_token("a,  websocket  ,b", "WebSocket"));
  EXPECT_FALSE(header_has_token("upgrades", "upgrade"));
  EXPECT_FALSE(header_has_token("", "upgrade"));
}

}  // namespace
}  // namespace rg::proto
