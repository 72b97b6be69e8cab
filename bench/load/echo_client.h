#pragma once
// The `echo` scenario's client side: each connection keeps --pipeline messages of --size
// bytes in flight, and sends the next one as each echo returns. Works against any server
// that echoes: ringgate's raw TCP frames, or any RFC 6455 echo endpoint.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/load_session.h"
#include "bench/measure/bench_counters.h"
#include "bench/measure/interval_tick.h"
#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {
class Shard;
}

namespace rg::bench {

struct EchoConfig {
  Protocol protocol = Protocol::kWebSocket;
  size_t size = 16;
  uint32_t pipeline = 1;
  std::string host;  // for the Host header
  std::string path = "/echo";
  // Open loop: messages per second per connection (0: closed loop, --pipeline in flight).
  double rate_per_connection = 0;
};

class EchoClientService final : public core::StreamService {
 public:
  EchoClientService(const EchoConfig& config, BenchCounters& counters, SharedRunState& run) noexcept
      : config_(config), counters_(counters), run_(run), tick_(counters) {}
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  void on_connect_failed(int error) noexcept override;

  const EchoConfig& config() const noexcept { return config_; }
  BenchCounters& counters() noexcept { return counters_; }
  SharedRunState& run() noexcept { return run_; }

 public:
  // Open loop: the sessions whose sends are paced by the service's pacing timer.
  class Paced {
   public:
    virtual void send_due(uint64_t now_ns) noexcept = 0;

   protected:
    ~Paced() = default;
  };
  void add_paced(Paced* session);
  void remove_paced(Paced* session) noexcept;
  uint64_t paced_count() const noexcept { return paced_opened_; }

 private:
  static void on_pace(void* self) noexcept;
  std::vector<Paced*> paced_;
  uint64_t paced_opened_ = 0;
  core::Timer pace_{&on_pace, this};
  EchoConfig config_;
  BenchCounters& counters_;
  SharedRunState& run_;
  IntervalTick tick_;
  core::Shard* shard_ = nullptr;
};

}  // namespace rg::bench
