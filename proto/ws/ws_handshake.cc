#include "proto/ws/ws_handshake.h"

#include "proto/base64.h"
#include "proto/http/http_response.h"

#include <openssl/evp.h>

#include <cstdint>

namespace rg::proto {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// A Sec-WebSocket-Key must be the base64 of 16 bytes: 22 alphabet characters and "==",
// the last of the 22 carrying only 2 bits (RFC 4648 canonical encoding).
bool valid_key(std::string_view key) noexcept {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  auto in_alphabet = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  };
  for (size_t i = 0; i < 22; ++i) {
    if (!in_alphabet(key[i])) return false;
  }
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

}  // namespace

HandshakeVerdict check_upgrade_request(const HttpRequest& request) noexcept {
  if (request.method != "GET") return {405, "a WebSocket handshake is a GET request"};
  if (request.minor_version < 1) return {400, "a WebSocket handshake needs HTTP/1.1"};
  if (request.count("Host") != 1) return {400, "exactly one Host header is required"};
  if (!header_has_token(request.header("Upgrade"), "websocket")) {
    return {426, "this endpoint speaks WebSocket: send Upgrade: websocket"};
  }
  if (!header_has_token(request.header("Connection"), "Upgrade")) {
    return {400, "the Connection header must contain the Upgrade token"};
  }
  if (request.header("Sec-WebSocket-Version") != "13") {
    return {426, "unsupported Sec-WebSocket-Version: this server speaks version 13"};
  }
  if (request.count("Sec-WebSocket-Key") != 1 || !valid_key(request.header("Sec-WebSocket-Key"))) {
    return {400, "Sec-WebSocket-Key must be the base64 encoding of 16 bytes"};
  }
  return {};
}

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  std::string encoded;
  append_base64(encoded, std::as_bytes(std::span(digest, digest_size)));
  return encoded;
}

std::string upgrade_response(std::string_view key) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  out += websocket_accept(key);
  out += "\r\n\r\n";
  return out;
}

std::string error_response(int status, std::string_view why) {
  std::string body(why);
  body += '\n';
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (status == 426) out += "Sec-WebSocket-Version: 13\r\nUpgrade: websocket\r\n";
  if (status == 405) out += "Allow: GET\r\n";
  out +=
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  return out;
}

std::string_view target_path(std::string_view target) noexcept {
  return target.substr(0, target.find('?'));
}

}  // namespace rg::proto
