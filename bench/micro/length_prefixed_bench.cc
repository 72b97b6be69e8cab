// Raw TCP frame parsing, in bytes per second, for frames that arrive whole (the common
// case: a view into the receive buffer) and frames split across reads (assembled once).

#include <benchmark/benchmark.h>

#include <vector>

#include "proto/envelope/length_prefixed.h"

namespace {

std::vector<std::byte> make_stream(size_t payload, size_t total) {
  std::vector<std::byte> out;
  while (out.size() < total) {
    size_t at = out.size();
    out.resize(at + 4 + payload, std::byte{0x5a});
    rg::proto::LengthPrefixedParser::write_header(out.data() + at, static_cast<uint32_t>(payload));
  }
  return out;
}

void BM_ParseWholeFrames(benchmark::State& state) {
  auto payload = static_cast<size_t>(state.range(0));
  auto stream = make_stream(payload, 16 * 1024);  // one receive buffer's worth
  rg::proto::LengthPrefixedParser parser(1 << 20);
  size_t frames = 0;
  for (auto _ : state) {
    auto err = parser.feed(stream, [&](std::span<const std::byte> p) {
      benchmark::DoNotOptimize(p.data());
      ++frames;
    });
    benchmark::DoNotOptimize(err);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseWholeFrames)->Arg(16)->Arg(1024)->Arg(65536);

void BM_ParseSplitFrames(benchmark::State& state) {
  auto payload = static_cast<size_t>(state.range(0));
  auto stream = make_stream(payload, 256 * 1024);
  rg::proto::LengthPrefixedParser parser(1 << 20);
  constexpr size_t kRead = 1500;  // reads that cut frames anywhere
  for (auto _ : state) {
    std::span<const std::byte> all(stream);
    for (size_t at = 0; at < all.size(); at += kRead) {
      auto err =
          parser.feed(all.subspan(at, std::min(kRead, all.size() - at)),
                      [&](std::span<const std::byte> p) { benchmark::DoNotOptimize(p.data()); });
      benchmark::DoNotOptimize(err);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_ParseSplitFrames)->Arg(1024)->Arg(65536);

}  // namespace
