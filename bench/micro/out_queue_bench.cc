// Queueing echoes on a connection: the cost per small message of copying into the tail
// block, and of gathering and consuming what one sendmsg would take.

#include <benchmark/benchmark.h>

#include <vector>

#include "core/io/out_queue.h"

namespace {

void BM_QueueAndDrain(benchmark::State& state) {
  auto size = static_cast<size_t>(state.range(0));
  std::vector<std::byte> message(size, std::byte{1});
  rg::core::OutQueue queue;
  iovec iov[64];
  constexpr int kPerTick = 64;
  for (auto _ : state) {
    for (int i = 0; i < kPerTick; ++i) queue.append_copy(message);
    size_t n = queue.gather(iov, 64);
    size_t bytes = 0;
    for (size_t i = 0; i < n; ++i) bytes += iov[i].iov_len;
    queue.consume(bytes);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kPerTick));
}
BENCHMARK(BM_QueueAndDrain)->Arg(20)->Arg(1028);

}  // namespace
