#include "core/io/buffer_ring.h"

#include <sys/mman.h>

#include <system_error>

#include "core/io/uring.h"

namespace rg::core {

namespace {
void* map_anonymous(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap");
  return p;
}
}  // namespace

BufferRing::BufferRing(Ring& ring, uint16_t group_id, uint32_t count, uint32_t size)
    : owner_(ring), ring_(ring.raw()), count_(count), size_(size), group_id_(group_id) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0) {
    throw std::system_error(EINVAL, std::generic_category(),
                            "buffer count must be a power of two up to 32768");
  }
  // liburing 2.3 has no io_uring_setup_buf_ring(): map the ring ourselves (page aligned, as
  // the kernel requires) and register it.
  ring_bytes_ = sizeof(io_uring_buf) * count;
  ring_entries_ = static_cast<io_uring_buf_ring*>(map_anonymous(ring_bytes_));
  stride_ = kHeadroom + size + kTailroom;
  memory_bytes_ = stride_ * count;
  memory_ = static_cast<std::byte*>(map_anonymous(memory_bytes_));

  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(ring_entries_);
  reg.ring_entries = count;
  reg.bgid = group_id;
  io_uring_buf_ring_init(ring_entries_);
  if (int rc = io_uring_register_buf_ring(&ring_, &reg, 0); rc < 0) {
    munmap(memory_, memory_bytes_);
    munmap(ring_entries_, ring_bytes_);
    throw std::system_error(-rc, std::generic_category(), "io_uring_register_buf_ring");
  }
  ++owner_.buffer_rings_;
  mask_ = io_uring_buf_ring_mask(count);
  outstanding_ = count;
  for (uint32_t bid = 0; bid < count; ++bid) recycle(static_cast<uint16_t>(bid));
  publish();
}

BufferRing::~BufferRing() {
  io_uring_unregister_buf_ring(&ring_, group_id_);
  --owner_.buffer_rings_;
  munmap(memory_, memory_bytes_);
  munmap(ring_entries_, ring_bytes_);
}

void BufferRing::recycle(uint16_t bid) noexcept {
  io_uring_buf_ring_add(ring_entries_, slot(bid) + kHeadroom, size_, bid, mask_, pending_);
  ++pending_;
  --outstanding_;
}

bool BufferRing::release_pages() noexcept {
  // Only the kernel may write into a buffer in the ring, and only while this thread is
  // in (or returning from) a system call: none is running during madvise().
  if (outstanding_ != 0) return false;
  return madvise(memory_, memory_bytes_, MADV_DONTNEED) == 0;
}

void BufferRing::publish() noexcept {
  if (pending_ == 0) return;
  io_uring_buf_ring_advance(ring_entries_, pending_);
  pending_ = 0;
}

}  // namespace rg::core
