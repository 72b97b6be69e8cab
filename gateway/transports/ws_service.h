#pragma once
// The WebSocket listener's service: the HTTP/1.1 upgrade, then RFC 6455 frames. Paths:
//   /      the gateway protocol: JSON in text frames, the binary envelope in binary ones
//   /echo  every text or binary message goes back to its sender unchanged
// Every other path is answered 404.

#include <cstdint>
#include <memory>

#include "core/services.h"
#include "proto/http/http_request.h"

namespace rg::gateway {

class RoomHub;
class UnfinishedMessages;

struct WsConfig {
  RoomHub* hub = nullptr;                    // the shard's rooms (null: no gateway protocol on /)
  UnfinishedMessages* unfinished = nullptr;  // the shard's budget and deadline for them
  size_t max_message = 16 << 20;             // /echo
  size_t max_gateway_message = 68 << 10;     // /: --max-payload plus the envelope
  uint32_t handshake_timeout_ms = 10000;
  uint32_t ping_interval_ms = 30000;  // 0: never ping
  proto::HttpLimits http;
};

class WsService final : public core::StreamService {
 public:
  explicit WsService(const WsConfig& config) : config_(config) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  // Past --max-connections: 503, and when to try again.
  std::string_view refusal() const noexcept override {
    return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
           "Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n";
  }

 private:
  WsConfig config_;
};

}  // namespace rg::gateway
