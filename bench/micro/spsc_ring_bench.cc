// Hand-off through the inter-shard ring: items per second from one thread to another.

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "core/bus/spsc_ring.h"

namespace {

void BM_SpscRingHandOff(benchmark::State& state) {
  static rg::core::SpscRing<uint64_t, 4096> ring;
  std::atomic<bool> stop{false};
  std::thread consumer([&] {
    uint64_t value;
    while (!stop.load(std::memory_order_relaxed)) {
      while (ring.try_pop(value)) benchmark::DoNotOptimize(value);
    }
    while (ring.try_pop(value)) {
    }
  });
  uint64_t i = 0;
  for (auto _ : state) {
    while (!ring.try_push(i)) {
    }
    ++i;
  }
  stop = true;
  consumer.join();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SpscRingHandOff)->UseRealTime();

void BM_SpscRingSameThread(benchmark::State& state) {
  static rg::core::SpscRing<uint64_t, 4096> ring;
  uint64_t value = 0;
  for (auto _ : state) {
    ring.try_push(value);
    ring.try_pop(value);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SpscRingSameThread);

}  // namespace
