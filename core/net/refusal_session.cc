#include "core/net/refusal_session.h"

#include "core/net/connection.h"
#include "core/shard/shard.h"

namespace rg::core {

RefusalSession::RefusalSession(Connection& conn, std::string_view answer) noexcept
    : conn_(conn), answer_(answer), timer_(&RefusalSession::on_timer, this) {
  conn.shard().timers().schedule(timer_, conn.shard().now_ms() + kWaitMs);
}

void RefusalSession::on_bytes(Connection&, std::span<std::byte>) noexcept {
  refuse();
}

void RefusalSession::on_timer(void* self) noexcept {
  static_cast<RefusalSession*>(self)->refuse();
}

void RefusalSession::refuse() noexcept {
  if (answered_) return;
  answered_ = true;
  conn_.shard().timers().cancel(timer_);
  conn_.send_copy(std::as_bytes(std::span(answer_.data(), answer_.size())));
  conn_.end_frame();
  conn_.close(Connection::CloseMode::kGraceful);
}

}  // namespace rg::core
