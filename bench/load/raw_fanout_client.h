#pragma once
// The `fanout --proto raw` scenario: plain WebSocket broadcast, the way a uWebSockets user
// writes it (`subscribe` on open, `publish` on message). Every connection opens
// BASE + "room-<r>", which puts it in room r of any broadcast server (ringgate's raw rooms,
// bench/reference's uWebSockets.js and Node `ws` servers); members and publishers alike
// are in their room, and every binary frame a connection sends goes to every other one.
//
// Frames carry u64 intended send time, u64 publisher, u64 count. Before counting, each
// publisher sends probes (count ~0) until every other connection of its room has heard
// one: a server that joins without an answer (ringgate's raw rooms) has then joined them
// all, and from the probe on, every one of the publisher's frames must arrive, in order.
// Closed loop: a publish is complete when all its receivers have it, and a publisher
// keeps --pipeline incomplete publishes (its window). Open loop: --rate in all.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/measure/bench_counters.h"
#include "bench/measure/interval_tick.h"
#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {
class Shard;
}

namespace rg::bench {

class RawFanoutSession;

struct RawFanoutConfig {
  std::string host;                 // Host header
  std::string path_base = "/raw/";  // a connection in room r opens path_base + "room-<r>"
  uint32_t rooms = 1;
  uint32_t members = 1000;
  uint32_t publishers = 1;
  uint64_t size = 32;             // frame payload (at least 24)
  uint32_t window = 16;           // closed loop: incomplete publishes per publisher
  double rate_per_publisher = 0;  // open loop when > 0

  // Connection i (members first, then publishers) is in room i % rooms; publisher j is
  // connection members + j.
  uint32_t room_of(uint32_t connection) const noexcept { return connection % rooms; }
  uint32_t connections() const noexcept { return members + publishers; }
};

// What every load thread shares: how far the handshakes, probes and publishes have got.
class RawFanoutBoard {
 public:
  explicit RawFanoutBoard(const RawFanoutConfig& config);

  // Connections whose upgrade was answered.
  std::atomic<uint32_t> upgraded{0};

  // How many connections other than publisher j are in its room.
  uint32_t receivers(uint32_t publisher) const noexcept { return receivers_[publisher]; }
  // A receiver heard publisher j's first probe.
  void heard_probe(uint32_t publisher) noexcept {
    probes_heard_[publisher].fetch_add(1, std::memory_order_release);
  }
  bool probed(uint32_t publisher) const noexcept {
    return probes_heard_[publisher].load(std::memory_order_acquire) >= receivers_[publisher];
  }
  // A receiver got publisher j's publish `count`; true when that was its last receiver.
  bool delivered(uint32_t publisher, uint64_t count) noexcept;
  // Publisher j's publishes that every receiver has.
  uint64_t completed(uint32_t publisher) const noexcept {
    return completed_[publisher].load(std::memory_order_acquire);
  }

 private:
  uint32_t window_;
  std::vector<uint32_t> receivers_;
  std::unique_ptr<std::atomic<uint32_t>[]> probes_heard_;
  std::unique_ptr<std::atomic<uint64_t>[]> completed_;
  std::unique_ptr<std::atomic<uint32_t>[]> slots_;  // [publisher * window + count % window]
};

class RawFanoutService final : public core::StreamService {
 public:
  // This thread's connections are numbered from `first` on (the scenario's numbering).
  RawFanoutService(const RawFanoutConfig& config, RawFanoutBoard& board, BenchCounters& counters,
                   SharedRunState& run, uint32_t first) noexcept;
  ~RawFanoutService() override;
  std::unique_ptr<core::StreamSession> open(core::Connection& conn) noexcept override;
  void on_connect_failed(int error) noexcept override;

  const RawFanoutConfig& config() const noexcept { return config_; }
  RawFanoutBoard& board() noexcept { return board_; }
  BenchCounters& counters() noexcept { return counters_; }
  SharedRunState& run() noexcept { return run_; }
  // A publish of publisher j became complete: its window moves, if it lives on this thread
  // (one on another thread notices on its next millisecond tick).
  void wake_publisher(uint32_t publisher) noexcept;
  void forget(RawFanoutSession* session, uint32_t connection) noexcept;

 private:
  RawFanoutConfig config_;
  RawFanoutBoard& board_;
  BenchCounters& counters_;
  SharedRunState& run_;
  uint32_t first_;
  uint32_t opened_ = 0;
  IntervalTick tick_;
  std::vector<RawFanoutSession*> local_publishers_;  // by publisher index; null elsewhere
};

}  // namespace rg::bench
