#include "gateway/transports/udp_echo.h"

#include "core/shard/shard.h"

namespace rg::gateway {

void UdpEchoService::on_datagram(core::DatagramSocket& socket, std::span<const std::byte> payload,
                                 const sockaddr* from, socklen_t from_length,
                                 core::RxChunk chunk) noexcept {
  socket.send_to(from, from_length, payload, std::move(chunk));
}

}  // namespace rg::gateway
