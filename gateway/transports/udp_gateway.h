#pragma once
// The UDP socket's service: the gateway protocol's binary form, one envelope per datagram.
//
// A client first sends a hello (padded to at least the reply's size) and gets a cookie;
// its first join must carry the cookie. From then on its address is a member (a "peer")
// until it has been silent for the idle timeout (a ping keeps it alive). Until an address
// has joined, the gateway never answers it with more bytes than it sent, so it cannot be
// used to amplify traffic toward a forged address.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/net/services.h"
#include "core/shard/shard.h"
#include "core/shard/timer_wheel.h"
#include "gateway/rooms/member.h"
#include "gateway/rooms/room_message.h"
#include "gateway/transports/udp_cookie.h"

namespace rg::gateway {

class RoomHub;

struct UdpGatewayConfig {
  uint32_t idle_timeout_ms = 30000;
  size_t max_peers = 100000;  // per shard
};

class UdpGatewayService final : public core::DatagramService {
 public:
  UdpGatewayService(RoomHub& hub, const CookieKey& key, const UdpGatewayConfig& config);
  ~UdpGatewayService() override;

  void on_ready(core::DatagramSocket& socket) noexcept override;
  void on_datagram(core::DatagramSocket& socket, std::span<const std::byte> payload,
                   const sockaddr* from, socklen_t from_length,
                   core::RxChunk chunk) noexcept override;

 private:
  class Peer;
  void reply_unverified(core::DatagramSocket& socket, const sockaddr* to, socklen_t length,
                        size_t request_size, proto::RequestError error,
                        std::string_view id) noexcept;
  static void on_sweep(void* self) noexcept;

  RoomHub& hub_;
  const CookieKey& key_;
  UdpGatewayConfig config_;
  core::DatagramSocket* socket_ = nullptr;
  // By address bytes; looked up per datagram without allocating (transparent hash).
  std::unordered_map<std::string, std::unique_ptr<Peer>, StringHash, std::equal_to<>> peers_;
  core::Timer sweep_;
};

}  // namespace rg::gateway
