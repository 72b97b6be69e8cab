#pragma once
// The bytes waiting to be sent on one connection, as a FIFO of block segments.
//
// Ownership: the queue holds a reference to every block it points into; consume() drops
// them as the kernel reports bytes sent. An empty queue holds no memory beyond its small
// segment array, so an idle connection costs nothing here.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/io/byte_block.h"

namespace rg::core {

class OutQueue {
 public:
  // A queue that was empty starts with a small block: most connections write a little
  // now and then (a handshake response, one message), and a 16 KiB block each time would
  // leave freed pages resident in the allocator for every idle connection. A queue that
  // is already busy gets large blocks, so a burst still leaves in few iovecs.
  static constexpr size_t kFirstBlockSize = 1024;
  static constexpr size_t kBlockSize = 16 * 1024;

  // Copies `bytes` to the end of the queue, into the tail block while it has room.
  void append_copy(std::span<const std::byte> bytes);
  // Queues `length` bytes at `offset` of a shared block, by reference: a whole frame.
  void append_shared(const BlockRef& block, size_t offset, size_t length);

  // A protocol frame ends at the current end of the queue (see drop_unsent()).
  void mark_boundary() noexcept {
    if (head_ < segments_.size()) segments_.back().boundary = true;
  }
  // Drops queued bytes that the kernel has not been handed, keeping the first `in_flight`
  // segments (a send in progress) and whatever completes the frame they end in. Frames
  // are known only where marked: without a marked boundary nothing is dropped.
  void drop_unsent(size_t in_flight) noexcept;

  size_t bytes() const noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_ == 0; }

  // Describes up to `max` segments from the front; returns how many were filled.
  size_t gather(iovec* iov, size_t max) const noexcept;
  // Drops the first `n` bytes (they were sent).
  void consume(size_t n) noexcept;
  void clear() noexcept;

 private:
  struct Segment {
    BlockRef block;
    size_t offset;
    size_t length;
    bool boundary = false;  // a frame ends with this segment's last byte
  };

  std::vector<Segment> segments_;
  size_t head_ = 0;  // segments_[0, head_) are consumed
  size_t bytes_ = 0;
};

}  // namespace rg::core
