#pragma once
// The raw TCP listener's service: the gateway protocol in its binary form, one envelope
// per length-prefixed frame (4-byte little-endian length, then the envelope).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/net/services.h"

namespace rg::gateway {

class RoomHub;
class UnfinishedMessages;

class TcpGatewayService final : public core::StreamService {
 public:
  // `max_frame`: --max-frame, at most --max-payload plus the envelope (the gateway
  // protocol never needs more).
  TcpGatewayService(RoomHub& hub, UnfinishedMessages* unfinished, uint32_t max_frame) noexcept;
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  // Past --max-connections: a `busy` error frame.
  std::string_view refusal() const noexcept override { return refusal_; }

 private:
  std::string refusal_;
  RoomHub& hub_;
  UnfinishedMessages* unfinished_;
  uint32_t max_frame_;
};

}  // namespace rg::gateway
