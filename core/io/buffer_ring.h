#pragma once
// A provided-buffer ring: the kernel picks a buffer only when data arrives, so an idle
// connection holds no receive memory.
//
// Each buffer has headroom in front (room for a frame header written in place) and tailroom
// behind (readable slack for SIMD over-reads and simdjson's padding); the kernel is only
// ever told about the middle part. Received buffers are owned by an RxChunk; when the chunk
// dies its buffer id is written back into the ring, and publish() makes every buffer
// returned during the loop iteration visible to the kernel with one store.

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace rg::core {

class Ring;

class BufferRing {
 public:
  static constexpr size_t kHeadroom = 64;
  static constexpr size_t kTailroom = 64;

  // Registers `count` (a power of two, at most 32768) buffers of `size` bytes as buffer
  // group `group_id`. Start-up only: throws std::system_error on failure.
  // The buffer ring must be destroyed before `ring` (which checks it).
  BufferRing(Ring& ring, uint16_t group_id, uint32_t count, uint32_t size);
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  uint16_t group_id() const noexcept { return group_id_; }
  uint32_t buffer_size() const noexcept { return size_; }
  uint32_t count() const noexcept { return count_; }
  // Buffers handed to the kernel or waiting in the ring (not owned by an RxChunk).
  uint32_t available() const noexcept { return count_ - outstanding_; }

  // The bytes of buffer `bid`, as the kernel filled them.
  std::span<std::byte> bytes(uint16_t bid, uint32_t length) noexcept {
    return {slot(bid) + kHeadroom, length};
  }

  // Called for every completion that carries a buffer from this group.
  void on_taken() noexcept { ++outstanding_; }
  // Gives `bid` back; the kernel sees it after the next publish().
  void recycle(uint16_t bid) noexcept;
  void publish() noexcept;
  // Gives the buffers' pages back to the system (they read as zeros and are faulted in
  // again when the kernel next fills them), when no chunk holds a buffer: a shard that has
  // gone quiet does not keep every page its traffic ever touched. Returns whether it did.
  bool release_pages() noexcept;

 private:
  std::byte* slot(uint16_t bid) noexcept { return memory_ + size_t{bid} * stride_; }

  Ring& owner_;
  io_uring& ring_;
  io_uring_buf_ring* ring_entries_ = nullptr;
  size_t ring_bytes_ = 0;
  std::byte* memory_ = nullptr;
  size_t memory_bytes_ = 0;
  size_t stride_ = 0;
  uint32_t count_;
  uint32_t size_;
  uint16_t group_id_;
  int mask_;
  int pending_ = 0;  // recycled since the last publish()
  uint32_t outstanding_ = 0;
};

// Sole owner of one received buffer. Move-only: the buffer goes back to its ring when the
// chunk is destroyed (or release()d), never earlier, so spans into it stay valid until then.
class RxChunk {
 public:
  RxChunk() noexcept = default;
  RxChunk(BufferRing& ring, uint16_t bid, uint32_t length) noexcept
      : ring_(&ring), bid_(bid), bytes_(ring.bytes(bid, length)) {}
  RxChunk(RxChunk&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)), bid_(other.bid_), bytes_(other.bytes_) {}
  RxChunk& operator=(RxChunk&& other) noexcept {
    if (this != &other) {
      release();
      ring_ = std::exchange(other.ring_, nullptr);
      bid_ = other.bid_;
      bytes_ = other.bytes_;
    }
    return *this;
  }
  RxChunk(const RxChunk&) = delete;
  RxChunk& operator=(const RxChunk&) = delete;
  ~RxChunk() { release(); }

  explicit operator bool() const noexcept { return ring_ != nullptr; }
  std::span<std::byte> bytes() const noexcept { return bytes_; }

  void release() noexcept {
    if (ring_ != nullptr) std::exchange(ring_, nullptr)->recycle(bid_);
  }

 private:
  BufferRing* ring_ = nullptr;
  uint16_t bid_ = 0;
  std::span<std::byte> bytes_;
};

}  // namespace rg::core
