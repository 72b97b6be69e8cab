#pragma once
// The `echo` scenario's client side: each connection keeps --pipeline messages of --size
// bytes in flight, and sends the next one as each echo returns. Works against any server
// that echoes: ringgate's raw TCP frames, or any RFC 6455 echo endpoint.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/bench_counters.h"
#include "core/services.h"
#include "core/timer_wheel.h"

namespace rg::core {
class Shard;
}

namespace rg::bench {

enum class Protocol { kWebSocket, kTcp };

struct EchoConfig {
  Protocol protocol = Protocol::kWebSocket;
  size_t size = 16;
  uint32_t pipeline = 1;
  std::string host;  // for the Host header
  std::string path = "/echo";
};

class EchoClientService final : public core::StreamService {
 public:
  EchoClientService(const EchoConfig& config, BenchCounters& counters, SharedRunState& run) noexcept
      : config_(config), counters_(counters), run_(run), tick_(&on_tick, this) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  void on_connect_failed(int error) noexcept override;

  const EchoConfig& config() const noexcept { return config_; }
  BenchCounters& counters() noexcept { return counters_; }
  SharedRunState& run() noexcept { return run_; }

 private:
  static void on_tick(void* self) noexcept;
  EchoConfig config_;
  BenchCounters& counters_;
  SharedRunState& run_;
  core::Timer tick_;  // publishes the last second's latencies
  core::Shard* shard_ = nullptr;
};

}  // namespace rg::bench
