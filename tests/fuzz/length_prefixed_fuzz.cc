// libFuzzer target for the raw TCP frame parser.
//
// The input is cut into reads at places chosen by its first bytes; the frames the parser
// hands out must equal those of a simple reference parse of the whole input, and the
// oversize error must come exactly where the reference says.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/envelope/length_prefixed.h"

namespace {

struct Reference {
  std::vector<std::string> frames;
  bool oversize = false;
};

Reference reference_parse(const uint8_t* data, size_t size, uint32_t max) {
  Reference out;
  size_t at = 0;
  while (size - at >= 4) {
    uint32_t n = data[at] | data[at + 1] << 8 | data[at + 2] << 16 | uint32_t{data[at + 3]} << 24;
    if (n > max) {
      out.oversize = true;
      return out;
    }
    if (size - at - 4 < n) break;
    out.frames.emplace_back(reinterpret_cast<const char*>(data + at + 4), n);
    at += 4 + n;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // Small maxima so that the fuzzer reaches the limit with short inputs.
  uint32_t max = 1u + data[0] * 4u;
  uint8_t cut_seed = data[1];
  data += 2;
  size -= 2;

  Reference expected = reference_parse(data, size, max);
  rg::proto::LengthPrefixedParser parser(max);
  std::vector<std::string> got;
  rg::proto::FrameError error = rg::proto::FrameError::kNone;
  size_t at = 0;
  uint32_t state = cut_seed * 2654435761u + 1;
  while (at < size && error == rg::proto::FrameError::kNone) {
    state = state * 1103515245u + 12345u;
    size_t len = std::min<size_t>(size - at, 1 + (state >> 16) % 64);
    // A copy of exactly this read, so ASan sees any access beyond it.
    std::vector<std::byte> read(reinterpret_cast<const std::byte*>(data + at),
                                reinterpret_cast<const std::byte*>(data + at + len));
    error = parser.feed(read, [&](std::span<const std::byte> p) {
      got.emplace_back(reinterpret_cast<const char*>(p.data()), p.size());
    });
    at += len;
  }
  bool oversize = error == rg::proto::FrameError::kOversize;
  if (got != expected.frames || oversize != expected.oversize) std::abort();
  if (parser.buffered() > max + 4u) std::abort();  // memory bounded by the limit
  return 0;
}
