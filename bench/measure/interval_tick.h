#pragma once
// Once a second, hands a load thread's last second of latencies to the progress line
// (BenchCounters::publish_interval), from the thread's own shard.

#include "bench/measure/bench_counters.h"
#include "core/shard/shard.h"
#include "core/shard/timer_wheel.h"

namespace rg::bench {

class IntervalTick {
 public:
  explicit IntervalTick(BenchCounters& counters) noexcept
      : counters_(counters), timer_(&IntervalTick::on_timer, this) {}

  // Starts ticking on `shard` (the thread's first connection calls it; later calls do nothing).
  void start(core::Shard& shard) noexcept {
    if (shard_ != nullptr) return;
    shard_ = &shard;
    shard_->timers().schedule(timer_, shard_->now_ms() + 1000);
  }

 private:
  static void on_timer(void* self) noexcept {
    auto& tick = *static_cast<IntervalTick*>(self);
    tick.counters_.publish_interval();
    tick.shard_->timers().schedule(tick.timer_, tick.shard_->now_ms() + 1000);
  }

  BenchCounters& counters_;
  core::Shard* shard_ = nullptr;
  core::Timer timer_;
};

}  // namespace rg::bench
