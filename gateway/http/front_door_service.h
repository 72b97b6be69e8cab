#pragma once
// The WebSocket port's service: every accepted connection gets a FrontDoor. A second
// instance per shard takes the connections other shards hand over (`adopted`).

#include <memory>
#include <string_view>

#include "core/net/services.h"
#include "gateway/http/front_door.h"

namespace rg::gateway {

class FrontDoorService final : public core::StreamService {
 public:
  explicit FrontDoorService(const FrontDoorConfig& config) : config_(config) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override {
    return std::make_unique<FrontDoor>(conn, config_);
  }
  // Past --max-connections: 503, and when to try again.
  std::string_view refusal() const noexcept override {
    return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
           "Content-Length: 21\r\nConnection: close\r\n\r\ntoo many connections\n";
  }

  // Past --max-conns-per-ip or --conn-rate-per-ip: 429.
  std::string_view address_refusal() const noexcept override {
    return "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
           "Content-Length: 39\r\nConnection: close\r\n\r\ntoo many connections from your "
           "address\n";
  }

 private:
  FrontDoorConfig config_;
};

}  // namespace rg::gateway
