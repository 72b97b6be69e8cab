#pragma once
// What every load-generating TCP session (echo, fanout) shares: the WebSocket upgrade when
// it speaks WebSocket, the `open` count, a failure that is counted once and aborts the
// connection, and counting a close the run did not ask for as the server's doing.

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "bench/load/ws_upgrade.h"
#include "bench/measure/bench_counters.h"
#include "core/net/services.h"

namespace rg::core {
class Connection;
}

namespace rg::bench {

// kSocketIo: Socket.IO v5 over Engine.IO v4's WebSocket transport (fanout only).
// kSocketIoPolling: the same over Engine.IO's long-polling (plain HTTP requests).
enum class Protocol { kWebSocket, kTcp, kSocketIo, kSocketIoPolling };

class LoadSession : public core::StreamSession {
 public:
  ~LoadSession() override;
  // Upgrade bytes first (WebSocket), then the stream, handed to on_stream().
  void on_bytes(core::Connection&, std::span<std::byte> bytes) noexcept final;

 protected:
  LoadSession(core::Connection& conn, BenchCounters& counters, const SharedRunState& run) noexcept
      : conn_(conn), counters_(counters), run_(run) {}
  // The last step of a subclass's constructor: sends the upgrade request, or (raw TCP)
  // starts at once.
  void begin(Protocol protocol, const std::string& path, const std::string& host) noexcept;
  // The connection is ready to carry the scenario's traffic.
  virtual void start() noexcept = 0;
  // Stream bytes after the upgrade; everything in one read arrived at `now_ns`.
  virtual void on_stream(std::span<const std::byte> bytes, uint64_t now_ns) noexcept = 0;
  // Counts `counter` and notes `why` (once per session), then aborts the connection.
  void fail(std::atomic<uint64_t>& counter, const std::string& why) noexcept;
  bool failed() const noexcept { return failed_; }
  // Resets the connection on purpose (not counted as the server's close).
  void drop() noexcept;

  core::Connection& conn_;
  BenchCounters& counters_;

 private:
  void ready() noexcept;

  const SharedRunState& run_;
  WsUpgrade upgrade_;
  bool ready_ = false;  // raw TCP: from the start; WebSocket: once upgraded
  bool failed_ = false;
  bool dropped_ = false;
};

}  // namespace rg::bench
