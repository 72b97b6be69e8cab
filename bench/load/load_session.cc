#include "bench/load/load_session.h"

#include "core/net/connection.h"
#include "core/shard/clock.h"

namespace rg::bench {

LoadSession::~LoadSession() {
  if (ready_) counters_.add(counters_.open, static_cast<uint64_t>(-1));
  if (!run_.finished.load(std::memory_order_relaxed) && !failed_ && !dropped_) {
    counters_.add(counters_.closed_by_server);
    counters_.note_error("the server closed a connection during the run");
  }
}

void LoadSession::begin(Protocol protocol, const std::string& path,
                        const std::string& host) noexcept {
  if (protocol == Protocol::kWebSocket || protocol == Protocol::kSocketIo) {
    std::string request = WsUpgrade::request(path, host);
    conn_.send_copy(std::as_bytes(std::span(request)));
  } else {
    ready();
  }
}

void LoadSession::ready() noexcept {
  ready_ = true;
  counters_.add(counters_.open);
  start();
}

void LoadSession::on_bytes(core::Connection&, std::span<std::byte> bytes) noexcept {
  uint64_t now = core::monotonic_ns();
  if (ready_) return on_stream(bytes, now);
  std::string rest, why;
  switch (upgrade_.feed(bytes, rest, why)) {
    case WsUpgrade::Result::kIncomplete:
      return;
    case WsUpgrade::Result::kFailed:
      return fail(counters_.handshake_failed, "WebSocket handshake failed: " + why);
    case WsUpgrade::Result::kUpgraded:
      break;
  }
  ready();
  if (!rest.empty()) on_stream(std::as_bytes(std::span(rest)), now);
}

void LoadSession::drop() noexcept {
  dropped_ = true;
  conn_.close(core::Connection::CloseMode::kAbort);
}

void LoadSession::fail(std::atomic<uint64_t>& counter, const std::string& why) noexcept {
  if (failed_) return;
  failed_ = true;
  counters_.add(counter);
  counters_.note_error(why);
  conn_.close(core::Connection::CloseMode::kAbort);
}

}  // namespace rg::bench
