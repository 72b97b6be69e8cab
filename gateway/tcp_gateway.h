#pragma once
// The raw TCP listener's service: the gateway protocol in its binary form, one envelope
// per length-prefixed frame (4-byte little-endian length, then the envelope).

#include <cstdint>
#include <memory>

#include "core/services.h"

namespace rg::gateway {

class RoomHub;

class TcpGatewayService final : public core::StreamService {
 public:
  TcpGatewayService(RoomHub& hub, uint32_t max_frame) noexcept : hub_(hub), max_frame_(max_frame) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;

 private:
  RoomHub& hub_;
  uint32_t max_frame_;
};

}  // namespace rg::gateway
