#include "proto/envelope/length_prefixed.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace rg::proto {
namespace {

std::vector<std::byte> frame(const std::string& payload) {
  std::vector<std::byte> out(4 + payload.size());
  LengthPrefixedParser::write_header(out.data(), static_cast<uint32_t>(payload.size()));
  std::memcpy(out.data() + 4, payload.data(), payload.size());
  return out;
}

std::vector<std::byte> concat(const std::vector<std::vector<std::byte>>& parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct Collector {
  std::vector<std::string> frames;
  void operator()(std::span<const std::byte> payload) {
    frames.emplace_back(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
};

TEST(LengthPrefixedParser, WholeFramesInOneRead) {
  LengthPrefixedParser parser(1024);
  Collector got;
  auto wire = concat({frame("hello"), frame(""), frame("world!")});
  EXPECT_EQ(parser.feed(wire, std::ref(got)), FrameError::kNone);
  EXPECT_EQ(got.frames, (std::vector<std::string>{"hello", "", "world!"}));
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(LengthPrefixedParser, WholeFrameIsAViewIntoTheInputNotACopy) {
  LengthPrefixedParser parser(1024);
  auto wire = frame("zero-copy");
  const std::byte* seen = nullptr;
  ASSERT_EQ(parser.feed(wire, [&](std::span<const std::byte> p) { seen = p.data(); }),
            FrameError::kNone);
  EXPECT_EQ(seen, wire.data() + 4);
}

TEST(LengthPrefixedParser, SplitAtEveryByteBoundaryOfPipelinedFrames) {
  std::vector<std::string> payloads = {"a", "", "bcdef", std::string(300, 'x'), "", "end"};
  std::vector<std::vector<std::byte>> frames;
  for (const auto& p : payloads) frames.push_back(frame(p));
  auto wire = concat(frames);
  for (size_t cut1 = 0; cut1 <= wire.size(); ++cut1) {
    for (size_t cut2 = cut1; cut2 <= wire.size(); cut2 += 7) {
      LengthPrefixedParser parser(1024);
      Collector got;
      std::span<const std::byte> all(wire);
      ASSERT_EQ(parser.feed(all.subspan(0, cut1), std::ref(got)), FrameError::kNone);
      ASSERT_EQ(parser.feed(all.subspan(cut1, cut2 - cut1), std::ref(got)), FrameError::kNone);
      ASSERT_EQ(parser.feed(all.subspan(cut2), std::ref(got)), FrameError::kNone);
      ASSERT_EQ(got.frames, payloads) << "cuts at " << cut1 << " and " << cut2;
      ASSERT_EQ(parser.buffered(), 0u);
    }
  }
}

TEST(LengthPrefixedParser, OneByteAtATime) {
  auto wire = concat({frame("one"), frame(""), frame("three")});
  LengthPrefixedParser parser(1024);
  Collector got;
  for (std::byte b : wire) ASSERT_EQ(parser.feed({&b, 1}, std::ref(got)), FrameError::kNone);
  EXPECT_EQ(got.frames, (std::vector<std::string>{"one", "", "three"}));
}

TEST(LengthPrefixedParser, RandomSplitsMatchWholeParse) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> payloads;
    std::vector<std::vector<std::byte>> frames;
    int n = 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      std::string p(rng() % 3000, '\0');
      for (char& c : p) c = static_cast<char>(rng());
      payloads.push_back(p);
      frames.push_back(frame(p));
    }
    auto wire = concat(frames);
    LengthPrefixedParser parser(4096);
    Collector got;
    size_t at = 0;
    while (at < wire.size()) {
      size_t len = std::min<size_t>(wire.size() - at, 1 + rng() % 5000);
      ASSERT_EQ(parser.feed(std::span<const std::byte>(wire).subspan(at, len), std::ref(got)),
                FrameError::kNone);
      at += len;
    }
    ASSERT_EQ(got.frames, payloads);
  }
}

TEST(LengthPrefixedParser, MaximumSizeIsAllowedOneMoreIsNot) {
  LengthPrefixedParser parser(8);
  Collector got;
  EXPECT_EQ(parser.feed(frame("12345678"), std::ref(got)), FrameError::kNone);
  EXPECT_EQ(got.frames.size(), 1u);
  EXPECT_EQ(parser.feed(frame("123456789"), std::ref(got)), FrameError::kOversize);
  EXPECT_EQ(got.frames.size(), 1u);
}

TEST(LengthPrefixedParser, OversizeIsDetectedFromTheHeaderAloneAndSticks) {
  LengthPrefixedParser parser(1 << 20);
  Collector got;
  std::byte header[4];
  LengthPrefixedParser::write_header(header, (1 << 20) + 1);
  // Header split across reads: the slow path must check the length too.
  EXPECT_EQ(parser.feed({header, 2}, std::ref(got)), FrameError::kNone);
  EXPECT_EQ(parser.feed({header + 2, 2}, std::ref(got)), FrameError::kOversize);
  // Nothing after the error is parsed, even a valid frame.
  EXPECT_EQ(parser.feed(frame("ok"), std::ref(got)), FrameError::kOversize);
  EXPECT_TRUE(got.frames.empty());
  EXPECT_LT(parser.buffered(), 8u) << "no memory reserved for the claimed length";
}

TEST(LengthPrefixedParser, PartialFrameMemoryGrowsWithDataNotWithTheClaim) {
  LengthPrefixedParser parser(1 << 20);
  Collector got;
  std::byte header[4];
  LengthPrefixedParser::write_header(header, 1 << 20);
  ASSERT_EQ(parser.feed(header, std::ref(got)), FrameError::kNone);
  std::vector<std::byte> some(100, std::byte{7});
  ASSERT_EQ(parser.feed(some, std::ref(got)), FrameError::kNone);
  EXPECT_EQ(parser.buffered(), 104u);
}

}  // namespace
}  // namespace rg::proto
