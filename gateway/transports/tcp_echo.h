#pragma once
// The raw TCP service: length-prefixed frames, each echoed back to its sender. (Rooms will
// route them instead; the framing and the connection handling stay.)

#include <cstdint>
#include <memory>

#include "core/net/services.h"

namespace rg::gateway {

class TcpEchoService final : public core::StreamService {
 public:
  explicit TcpEchoService(uint32_t max_frame) noexcept : max_frame_(max_frame) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;

 private:
  uint32_t max_frame_;
};

}  // namespace rg::gateway
