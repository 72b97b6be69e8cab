#include "proto/ws/ws_unmask.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace rg::proto {
namespace {

std::vector<std::byte> reference(std::vector<std::byte> data, const std::byte mask[4],
                                 size_t phase) {
  for (size_t i = 0; i < data.size(); ++i) data[i] ^= mask[(i + phase) & 3];
  return data;
}

TEST(WsUnmask, EveryImplementationMatchesTheDefinitionOnRandomData) {
  std::mt19937 rng(1);
  int checked = 0;
  for (UnmaskImpl impl :
       {UnmaskImpl::kScalar, UnmaskImpl::kSse2, UnmaskImpl::kAvx2, UnmaskImpl::kAvx512}) {
    if (!unmask_supported(impl)) continue;
    for (int round = 0; round < 2000; ++round) {
      size_t size = round < 300 ? static_cast<size_t>(round) : rng() % 5000;
      size_t offset = rng() % 64;  // unaligned starts
      std::vector<std::byte> buffer(size + 64);
      for (auto& b : buffer) b = static_cast<std::byte>(rng());
      std::byte mask[4];
      for (auto& b : mask) b = static_cast<std::byte>(rng());
      size_t phase = rng() % 4;
      std::vector<std::byte> slice(buffer.begin() + offset, buffer.begin() + offset + size);
      auto expected = reference(slice, mask, phase);
      std::vector<std::byte> before = buffer;
      unmask_with(impl, buffer.data() + offset, size, mask, phase);
      ASSERT_TRUE(std::equal(expected.begin(), expected.end(), buffer.begin() + offset))
          << unmask_name(impl) << " size " << size << " phase " << phase;
      // Nothing outside the range is touched.
      ASSERT_TRUE(std::equal(before.begin(), before.begin() + offset, buffer.begin()));
      ASSERT_TRUE(
          std::equal(before.begin() + offset + size, before.end(), buffer.begin() + offset + size));
    }
    ++checked;
  }
  EXPECT_GE(checked, 2) << "at least scalar and SSE2 on x86-64";
}

TEST(WsUnmask, SplittingAtAnyPointWithThePhaseGivesTheSameResult) {
  std::vector<std::byte> data(777);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::byte>(i * 7);
  std::byte mask[4] = {std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}};
  auto whole = data;
  unmask(whole.data(), whole.size(), mask, 0);
  for (size_t cut = 0; cut <= data.size(); cut += 13) {
    auto pieces = data;
    unmask(pieces.data(), cut, mask, 0);
    unmask(pieces.data() + cut, pieces.size() - cut, mask, cut);
    ASSERT_EQ(pieces, whole) << cut;
  }
}

}  // namespace
}  // namespace rg::proto
