#include "gateway/http/connection_hand_off.h"

namespace rg::gateway {

namespace {

// A socket and the bytes read from it, on their way to another shard. Self-contained:
// it owns its bytes, and the descriptor is the process's, not a shard's.
struct HandOffMessage final : core::BusMessage {
  HandOffMessage(int socket, std::vector<std::byte> bytes)
      : BusMessage(kHandOffTopic), fd(socket), carried(std::move(bytes)) {}
  int fd;
  std::vector<std::byte> carried;
};

}  // namespace

ConnectionHandOff::ConnectionHandOff(core::ShardMailbox& mailbox, core::Shard& shard) noexcept
    : mailbox_(mailbox), shard_(shard) {
  mailbox_.subscribe(kHandOffTopic, &ConnectionHandOff::on_bus, this);
}

void ConnectionHandOff::send(void* self, unsigned to, int fd,
                             std::vector<std::byte> carried) noexcept {
  auto& hand_off = *static_cast<ConnectionHandOff*>(self);
  if (fd < 0) return;  // the connection closed before it could leave
  ++hand_off.sent_;
  hand_off.mailbox_.send(to, core::kRequestLane, new HandOffMessage(fd, std::move(carried)));
}

void ConnectionHandOff::on_bus(void* self, unsigned, unsigned, core::BusMessage* message) noexcept {
  auto& hand_off = *static_cast<ConnectionHandOff*>(self);
  auto* arrived = static_cast<HandOffMessage*>(message);  // the topic says what it is
  ++hand_off.adopted_;
  hand_off.shard_.adopt(arrived->fd, arrived->carried, *hand_off.adopt_with_);
  message->release();
}

}  // namespace rg::gateway
