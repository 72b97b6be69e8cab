#include "core/io/buffer_ring.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "core/io/uring.h"

namespace rg::core {
namespace {

class BufferRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ring_ = std::make_unique<Ring>(64, 0);
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    buffers_ = std::make_unique<BufferRing>(*ring_, 7, 4, 64);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
    buffers_.reset();
    ring_.reset();
  }
  void arm_recv() {
    io_uring_sqe* sqe = ring_->sqe();
    io_uring_prep_recv_multishot(sqe, fds_[1], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 7;
    ASSERT_GE(io_uring_submit(&ring_->raw()), 0);
  }
  // Waits for the next receive completion; returns its result and takes its buffer.
  int next(RxChunk& chunk, bool& more) {
    io_uring_cqe* cqe = nullptr;
    EXPECT_EQ(io_uring_wait_cqe(&ring_->raw(), &cqe), 0);
    int res = cqe->res;
    more = cqe->flags & IORING_CQE_F_MORE;
    if (cqe->flags & IORING_CQE_F_BUFFER) {
      buffers_->on_taken();
      chunk = RxChunk(*buffers_, static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT),
                      res > 0 ? res : 0);
    }
    io_uring_cqe_seen(&ring_->raw(), cqe);
    return res;
  }

  std::unique_ptr<Ring> ring_;
  std::unique_ptr<BufferRing> buffers_;
  int fds_[2] = {-1, -1};
};

TEST_F(BufferRingTest, ChunkOwnsTheBufferUntilDestroyed) {
  arm_recv();
  ASSERT_EQ(write(fds_[0], "hello", 5), 5);
  RxChunk chunk;
  bool more = false;
  ASSERT_EQ(next(chunk, more), 5);
  EXPECT_TRUE(more);
  ASSERT_TRUE(chunk);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(chunk.bytes().data()), 5), "hello");
  EXPECT_EQ(buffers_->available(), 3u);
  RxChunk moved = std::move(chunk);
  EXPECT_FALSE(chunk);
  EXPECT_EQ(buffers_->available(), 3u) << "moving does not return the buffer";
  moved.release();
  EXPECT_EQ(buffers_->available(), 4u);
}

// A quiet shard gives the buffers' pages back, but never while a chunk holds a buffer;
// receiving afterwards works as before.
TEST_F(BufferRingTest, PagesGoBackOnlyWhenNoChunkHoldsABuffer) {
  arm_recv();
  ASSERT_EQ(write(fds_[0], "first", 5), 5);
  RxChunk chunk;
  bool more = false;
  ASSERT_EQ(next(chunk, more), 5);
  EXPECT_FALSE(buffers_->release_pages());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(chunk.bytes().data()), 5), "first");
  chunk.release();
  buffers_->publish();
  EXPECT_TRUE(buffers_->release_pages());
  ASSERT_EQ(write(fds_[0], "again", 5), 5);
  ASSERT_EQ(next(chunk, more), 5);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(chunk.bytes().data()), 5), "again");
}

TEST_F(BufferRingTest, ExhaustedRingReportsNoBuffersAndRecoversAfterPublish) {
  arm_recv();
  RxChunk held[4];
  bool more = false;
  for (auto& chunk : held) {
    ASSERT_EQ(write(fds_[0], "x", 1), 1);
    ASSERT_EQ(next(chunk, more), 1);
  }
  EXPECT_EQ(buffers_->available(), 0u);
  ASSERT_EQ(write(fds_[0], "y", 1), 1);
  RxChunk none;
  EXPECT_EQ(next(none, more), -ENOBUFS);
  EXPECT_FALSE(more) << "a multishot recv ends when the ring is empty";
  EXPECT_FALSE(none);
  for (auto& chunk : held) chunk.release();
  buffers_->publish();
  arm_recv();
  RxChunk again;
  ASSERT_EQ(next(again, more), 1) << "the byte that found no buffer is still there";
  EXPECT_EQ(static_cast<char>(again.bytes()[0]), 'y');
}

TEST_F(BufferRingTest, HeadroomAndTailroomAreOutsideWhatTheKernelFills) {
  arm_recv();
  std::string big(200, 'z');
  ASSERT_EQ(write(fds_[0], big.data(), big.size()), 200);
  RxChunk chunk;
  bool more = false;
  EXPECT_EQ(next(chunk, more), 64) << "at most one buffer's size per completion";
  // Headroom in front and tailroom behind are ours to read and write.
  std::byte* data = chunk.bytes().data();
  data[-static_cast<ptrdiff_t>(BufferRing::kHeadroom)] = std::byte{1};
  data[64 + BufferRing::kTailroom - 1] = std::byte{1};
}

}  // namespace
}  // namespace rg::core
