#pragma once
// The load generator's side of the WebSocket upgrade, shared by its sessions: the request
// a client sends, and the check of the server's answer as its bytes arrive.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "proto/ws/ws_handshake.h"

namespace rg::bench {

class WsUpgrade {
 public:
  enum class Result { kIncomplete, kUpgraded, kFailed };

  // The GET request for `path` on `host` ("HOST:PORT").
  static std::string request(const std::string& path, const std::string& host) {
    return "GET " + path + " HTTP/1.1\r\nHost: " + host +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + kKey +
           "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  // Feeds response bytes. kUpgraded: `rest` holds what followed the response head (the
  // first frames). kFailed: `why` says what was wrong.
  Result feed(std::span<const std::byte> bytes, std::string& rest, std::string& why) {
    head_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    size_t end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() <= kMaxHead) return Result::kIncomplete;
      why = "no end to the response head";
      return Result::kFailed;
    }
    std::string_view head(head_.data(), end + 4);
    if (head.rfind("HTTP/1.1 101", 0) != 0) {
      why = "the server answered " + std::string(head.substr(0, head.find('\r')));
      return Result::kFailed;
    }
    std::string accept = proto::websocket_accept(kKey);
    if (head.find("Sec-WebSocket-Accept: " + accept) == std::string_view::npos &&
        head.find("sec-websocket-accept: " + accept) == std::string_view::npos) {
      why = "wrong or missing Sec-WebSocket-Accept";
      return Result::kFailed;
    }
    rest = head_.substr(end + 4);
    std::string().swap(head_);
    return Result::kUpgraded;
  }

 private:
  static constexpr const char* kKey = "cmluZ2dhdGUtYmVuY2gtMQ==";
  static constexpr size_t kMaxHead = 16384;
  std::string head_;
};

}  // namespace rg::bench
