#include "core/io/out_queue.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace rg::core {
namespace {

std::span<const std::byte> bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string drain(OutQueue& q, size_t max_iov = 64) {
  std::string out;
  iovec iov[64];
  size_t n = q.gather(iov, max_iov);
  for (size_t i = 0; i < n; ++i)
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

TEST(OutQueue, SmallCopiesCoalesceIntoOneSegment) {
  OutQueue q;
  for (int i = 0; i < 100; ++i) q.append_copy(bytes("abcd"));
  iovec iov[4];
  EXPECT_EQ(q.gather(iov, 4), 1u) << "100 small messages should leave as one iovec";
  EXPECT_EQ(q.bytes(), 400u);
}

TEST(OutQueue, PartialConsumeKeepsOrder) {
  OutQueue q;
  q.append_copy(bytes("hello "));
  BlockRef shared = BlockRef::adopt(ByteBlock::create(16));
  std::memcpy(shared->data(), "shared", 6);
  shared->grow(6);
  q.append_shared(shared, 0, 6);
  q.append_copy(bytes(" world"));
  EXPECT_EQ(drain(q), "hello shared world");
  q.consume(3);
  EXPECT_EQ(drain(q), "lo shared world");
  q.consume(5);
  EXPECT_EQ(drain(q), "ared world");
  q.consume(10);
  EXPECT_TRUE(q.empty());
}

TEST(OutQueue, SharedBlockIsReferencedNotCopiedAndNeverAppendedTo) {
  BlockRef shared = BlockRef::adopt(ByteBlock::create(1024));
  std::memcpy(shared->data(), "frame", 5);
  shared->grow(5);
  OutQueue a, b;
  a.append_shared(shared, 0, 5);
  b.append_shared(shared, 0, 5);
  EXPECT_EQ(shared->references(), 3u);
  a.append_copy(bytes("!"));  // must not write into the shared block
  EXPECT_EQ(shared->size(), 5u);
  EXPECT_EQ(drain(a), "frame!");
  iovec iov[2];
  a.gather(iov, 2);
  EXPECT_EQ(iov[0].iov_base, shared->data());
  a.consume(6);
  EXPECT_EQ(shared->references(), 2u);
  b.clear();
  EXPECT_EQ(shared->references(), 1u);
}

TEST(OutQueue, LargeCopyGetsItsOwnBlockAndGatherIsBounded) {
  OutQueue q;
  std::string big(100000, 'x');
  q.append_copy(bytes(big));
  for (int i = 0; i < 10; ++i) {
    BlockRef b = BlockRef::adopt(ByteBlock::create(1));
    b->data()[0] = std::byte{'y'};
    b->grow(1);
    q.append_shared(b, 0, 1);
  }
  iovec iov[4];
  EXPECT_EQ(q.gather(iov, 4), 4u);
  EXPECT_EQ(iov[0].iov_len, 100000u);
  q.consume(100000 + 10);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.gather(iov, 4), 0u);
}

}  // namespace
}  // namespace rg::core

namespace rg::core {
namespace {

TEST(OutQueueDrop, DropsOnlyWholeUnsentFramesAfterTheInFlightOnes) {
  OutQueue q;
  std::string a(100, 'a'), b(50, 'b');
  q.append_copy(std::as_bytes(std::span(a)));  // frame 1, part 1
  q.append_copy(std::as_bytes(std::span(b)));  // frame 1, part 2 (same block)
  q.mark_boundary();
  BlockRef shared = BlockRef::adopt(ByteBlock::create(64));
  shared->grow(64);
  q.append_shared(shared, 0, 64);  // frame 2
  q.append_shared(shared, 0, 64);  // frame 3
  EXPECT_EQ(q.bytes(), 150u + 128u);
  q.drop_unsent(1);  // the first segment is in flight: keep it, drop frames 2 and 3
  EXPECT_EQ(q.bytes(), 150u);
  q.append_copy(std::as_bytes(std::span(a)));  // no boundary marked: nothing may go
  q.drop_unsent(0);
  EXPECT_EQ(q.bytes(), 250u);
  q.mark_boundary();
  q.drop_unsent(0);  // keeps the head segment, which now ends a frame
  EXPECT_EQ(q.bytes(), 250u);
}

}  // namespace
}  // namespace rg::core
