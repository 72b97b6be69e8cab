// WebSocket receive path, in bytes per second: frame parsing + in-place unmasking + UTF-8
// validation of text, over a buffer of back-to-back client frames (what one read holds).
//
// Unmasking works in place, so a buffer parsed once is no longer masked. The frames use an
// all-zero mask: the XOR is executed exactly as for any mask, but leaves the bytes as they
// were, so the same buffer can be parsed on every iteration with no copy in the timing.

#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "proto/ws/utf8_stream.h"
#include "proto/ws/ws_parser.h"
#include "proto/ws/ws_unmask.h"
#include "tests/support/ws_frames.h"

namespace {

struct CountingHandler {
  size_t messages = 0;
  size_t errors = 0;
  void on_message(rg::proto::WsOpcode, std::span<std::byte> p, const rg::core::BlockRef*) {
    benchmark::DoNotOptimize(p.data());
    ++messages;
  }
  void on_ping(std::span<const std::byte>) {}
  void on_pong(std::span<const std::byte>) {}
  void on_close(uint16_t, std::span<const std::byte>) {}
  void on_error(uint16_t, const char*) { ++errors; }
};

std::vector<std::byte> frames(size_t payload, uint8_t opcode, size_t at_least, bool ascii) {
  std::string text;
  std::mt19937 rng(1);
  const char* words[] = {"price", "qty", "order", "fill", "κόσμε", "🌍"};
  while (text.size() < payload) text += words[rng() % (ascii ? 4 : 6)];
  text.resize(payload);
  while (
      !rg::proto::Utf8Stream::valid(reinterpret_cast<const std::byte*>(text.data()), text.size())) {
    text.back() = 'x';  // do not end inside a multi-byte character
  }
  rg::testing::FrameSpec spec;
  spec.opcode = opcode;
  spec.mask = 0;
  std::string wire;
  while (wire.size() < at_least) wire += rg::testing::client_frame(text, spec);
  auto* p = reinterpret_cast<const std::byte*>(wire.data());
  return {p, p + wire.size()};
}

// `ascii`: text of ASCII words only (typical of JSON game and trading messages); otherwise
// a third of the words have two- and four-byte characters.
void BM_WsReceive(benchmark::State& state, uint8_t opcode, bool ascii) {
  auto payload = static_cast<size_t>(state.range(0));
  std::vector<std::byte> buffer = frames(payload, opcode, 256 * 1024, ascii);
  CountingHandler handler;
  for (auto _ : state) {
    rg::proto::WsParser<CountingHandler> parser(handler, 1 << 24);
    parser.feed(buffer);
  }
  if (handler.errors != 0) state.SkipWithError("parse error");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * buffer.size()));
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(handler.messages), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_WsReceive, text_ascii, uint8_t{1}, true)->Arg(16)->Arg(1024)->Arg(65536);
BENCHMARK_CAPTURE(BM_WsReceive, text_mixed, uint8_t{1}, false)->Arg(16)->Arg(1024)->Arg(65536);
BENCHMARK_CAPTURE(BM_WsReceive, binary, uint8_t{2}, false)->Arg(16)->Arg(1024)->Arg(65536);

void BM_Unmask(benchmark::State& state, rg::proto::UnmaskImpl impl) {
  if (!rg::proto::unmask_supported(impl)) {
    state.SkipWithError("not supported on this CPU");
    return;
  }
  std::vector<std::byte> data(static_cast<size_t>(state.range(0)), std::byte{7});
  const std::byte mask[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  for (auto _ : state) {
    rg::proto::unmask_with(impl, data.data(), data.size(), mask, 1);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK_CAPTURE(BM_Unmask, scalar, rg::proto::UnmaskImpl::kScalar)->Arg(1024)->Arg(65536);
BENCHMARK_CAPTURE(BM_Unmask, sse2, rg::proto::UnmaskImpl::kSse2)->Arg(1024)->Arg(65536);
BENCHMARK_CAPTURE(BM_Unmask, avx2, rg::proto::UnmaskImpl::kAvx2)->Arg(1024)->Arg(65536);
BENCHMARK_CAPTURE(BM_Unmask, avx512, rg::proto::UnmaskImpl::kAvx512)->Arg(1024)->Arg(65536);

}  // namespace
