#include "proto/ws/ws_handshake.h"

#include <gtest/gtest.h>

#include <string>

namespace rg::proto {
namespace {

HandshakeVerdict check(const std::string& head) {
  HttpRequest r;
  EXPECT_EQ(parse_http_request(head, {}, r), HttpParse::kComplete) << head;
  return check_upgrade_request(r);
}

std::string request(const std::string& extra_or_replacements) {
  return "GET /echo HTTP/1.1\r\nHost: h\r\n" + extra_or_replacements + "\r\n";
}

const std::string kGood =
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

TEST(WsHandshake, AcceptValueFromTheRfcExample) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::string response = upgrade_response("dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_NE(response.find("HTTP/1.1 101 Switching Protocols\r\n"), std::string::npos);
  EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_EQ(response.substr(response.size() - 4), "\r\n\r\n");
}

TEST(WsHandshake, AValidRequestUpgrades) {
  EXPECT_EQ(check(request(kGood)).status, 101);
  EXPECT_EQ(check(request("upgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\n"
                          "sec-websocket-key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"
                          "sec-websocket-version: 13\r\n"))
                .status,
            101);
}

TEST(WsHandshake, EachMissingOrWrongPieceHasItsStatus) {
  auto without = [](const std::string& header) {
    std::string h = kGood;
    h.erase(h.find(header), h.find("\r\n", h.find(header)) + 2 - h.find(header));
    return request(h);
  };
  EXPECT_EQ(check(without("Upgrade:")).status, 426);
  EXPECT_EQ(check(without("Connection:")).status, 400);
  EXPECT_EQ(check(without("Sec-WebSocket-Key:")).status, 400);
  EXPECT_EQ(check(without("Sec-WebSocket-Version:")).status, 426);
  std::string v8 = kGood;
  v8.replace(v8.find("Version: 13"), 11, "Version: 8");
  EXPECT_EQ(check(request(v8)).status, 426);
  for (const char* key : {"dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ",
                          "short==", "dGhlIHNhbXBsZSBub25jZR==", "dGhlIHNhbX!sZSBub25jZQ=="}) {
    std::string k = kGood;
    k.replace(k.find("dGhlIHNhbXBsZSBub25jZQ=="), 24, key);
    EXPECT_EQ(check(request(k)).status, 400) << key;
  }
  std::string post = "POST /echo HTTP/1.1\r\nHost: h\r\n" + kGood + "\r\n";
  EXPECT_EQ(check(post).status, 405);
  std::string no_host = "GET /echo HTTP/1.1\r\n" + kGood + "\r\n";
  EXPECT_EQ(check(no_host).status, 400);
}

TEST(WsHandshake, ErrorResponsesAreCompleteAndClose) {
  std::string r = error_response(426, "speak version 13");
  EXPECT_EQ(r.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u);
  EXPECT_NE(r.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Length: 17\r\n"), std::string::npos);
  EXPECT_EQ(target_path("/echo?a=b"), "/echo");
}

}  // namespace
}  // namespace rg::proto
