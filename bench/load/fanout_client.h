#pragma once
// The `fanout` scenario's client side, on ringgate's gateway protocol (binary envelope,
// over WebSocket binary frames or raw TCP frames): --members connections join --rooms
// rooms (member i joins room i % rooms), --pubs connections publish to them (publisher j
// to room j % rooms) once every member has joined. Each publish carries its send time, so
// members measure end-to-end latency; members check each room's sequence numbers and
// count deliveries, losses (skipped seqs, gap notices), duplicates and reorderings.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/echo_client.h"
#include "bench/measure/bench_counters.h"
#include "bench/measure/interval_tick.h"
#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {
class Shard;
}

namespace rg::bench {

class FanoutSession;

// What a member keeps over its connections (--churn): where it is in its room.
struct FanoutMember {
  uint64_t last_seq = 0;
  std::string epoch;
  bool joined_once = false;
  FanoutSession* session = nullptr;  // its current connection's, once joined
};

struct FanoutConfig {
  Protocol protocol = Protocol::kWebSocket;
  std::string host;  // Host header (WebSocket)
  std::string path = "/";
  uint32_t rooms = 1;
  uint64_t size = 32;                // publish payload bytes (at least 24: time, publisher, count)
  uint32_t pipeline = 1;             // closed loop: publishes awaiting their ack, per publisher
  double rate_per_publisher = 0;     // open loop when > 0
  double churn_per_member = 0;       // drops and resumes per member per second
  bool sio_polling_members = false;  // kSocketIo: members long-poll (publishers: WebSocket)
  // Conflation (the gateway's --slow-consumer=conflate): publish count c carries the
  // conflation key "k<c % ckeys>" (0: no key), and the first `slow_members` members read
  // only 5 ms out of every 50 (their latency is not recorded).
  uint32_t ckeys = 0;
  uint32_t slow_members = 0;
  // echo over Socket.IO: publishers measure publish-to-ack round trips (there are no members)
  bool ack_latency = false;
};

// Shared by every load thread.
struct FanoutShared {
  std::atomic<uint32_t> joined{0};  // members whose join was answered
  uint32_t members = 0;
};

class FanoutClientService final : public core::StreamService {
 public:
  // This thread's connections: the first `members` it opens are members (global indices
  // from `first_member`), the rest publishers (from `first_publisher`).
  FanoutClientService(const FanoutConfig& config, BenchCounters& counters, SharedRunState& run,
                      FanoutShared& shared, uint32_t members, uint32_t publishers,
                      uint32_t first_member, uint32_t first_publisher) noexcept;
  ~FanoutClientService() override;
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  void on_connect_failed(int error) noexcept override;

  const FanoutConfig& config() const noexcept { return config_; }
  BenchCounters& counters() noexcept { return counters_; }
  SharedRunState& run() noexcept { return run_; }
  FanoutShared& shared() noexcept { return shared_; }

 private:
  static void on_churn(void* self) noexcept;

  FanoutConfig config_;
  BenchCounters& counters_;
  SharedRunState& run_;
  FanoutShared& shared_;
  uint32_t members_;
  uint32_t first_member_;
  uint32_t first_publisher_;
  uint32_t publishers_;
  uint32_t opened_ = 0;
  core::Shard* shard_ = nullptr;
  IntervalTick tick_;
  core::Timer churn_;
  double churn_budget_ = 0;
  uint64_t churn_rng_ = 0x9E3779B97F4A7C15ull;
  std::vector<FanoutMember> member_state_;
  std::deque<uint32_t> reconnecting_;  // members whose new connection is being opened
};

}  // namespace rg::bench
