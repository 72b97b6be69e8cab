#pragma once
// The UDP service for now: each datagram goes back to its sender, sent straight from the
// receive buffer (the buffer is returned to the ring when the send completes).

#include "core/net/services.h"

namespace rg::gateway {

class UdpEchoService final : public core::DatagramService {
 public:
  void on_datagram(core::DatagramSocket& socket, std::span<const std::byte> payload,
                   const sockaddr* from, socklen_t from_length,
                   core::RxChunk chunk) noexcept override;
};

}  // namespace rg::gateway
