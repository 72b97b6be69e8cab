#pragma once
// Moves a connection to another shard of this process: a front door that read a request
// belonging to a session of another shard (an Engine.IO sid names its home) detaches the
// connection (core/net/connection.h) and this sends the socket, with the bytes it carried,
// through the mailbox; the home shard adopts it with its front door, which reads the
// request again and serves it. Nothing is lost or reordered: the carried bytes come first.

#include <cstdint>
#include <vector>

#include "core/bus/bus.h"
#include "core/bus/mailbox.h"
#include "core/net/services.h"
#include "core/shard/shard.h"

namespace rg::gateway {

// The hand-offs' topic on the shards' mailboxes.
inline constexpr uint8_t kHandOffTopic = 3;

class ConnectionHandOff {
 public:
  // Subscribes to the topic on `mailbox` (before the shard starts).
  ConnectionHandOff(core::ShardMailbox& mailbox, core::Shard& shard) noexcept;
  // Before the shard starts: connections arriving on the shard are opened with `service`.
  void adopt_with(core::StreamService& service) noexcept { adopt_with_ = &service; }
  ConnectionHandOff(const ConnectionHandOff&) = delete;
  ConnectionHandOff& operator=(const ConnectionHandOff&) = delete;

  // FrontDoor::HandOff: `self` is the sending shard's ConnectionHandOff.
  static void send(void* self, unsigned to, int fd, std::vector<std::byte> carried) noexcept;

  uint64_t sent() const noexcept { return sent_; }
  uint64_t adopted() const noexcept { return adopted_; }

 private:
  static void on_bus(void* self, unsigned from, unsigned lane, core::BusMessage* message) noexcept;

  core::ShardMailbox& mailbox_;
  core::Shard& shard_;
  core::StreamService* adopt_with_ = nullptr;
  uint64_t sent_ = 0;
  uint64_t adopted_ = 0;
};

}  // namespace rg::gateway
