#pragma once
// A connection accepted only to be refused (the server is full): it is told so in its own
// protocol (the service's StreamService::refusal(), for WebSocket an HTTP 503), then closed
// gracefully. The answer goes out after the peer's first bytes, so that its request has
// been read (a close with unread input would reset the connection and could destroy the
// answer), or after a short wait if it sends nothing.

#include <string_view>

#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {

class RefusalSession final : public StreamSession {
 public:
  // How long the answer waits for the peer's first bytes.
  static constexpr uint32_t kWaitMs = 500;

  RefusalSession(Connection& conn, std::string_view answer) noexcept;
  void on_bytes(Connection& conn, std::span<std::byte> bytes) noexcept override;
  void on_shutdown(Connection&) noexcept override { refuse(); }

 private:
  static void on_timer(void* self) noexcept;
  void refuse() noexcept;

  Connection& conn_;
  std::string_view answer_;  // the service's: lives as long as the listener
  Timer timer_;
  bool answered_ = false;
};

}  // namespace rg::core
