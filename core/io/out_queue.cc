#include "core/io/out_queue.h"

#include <algorithm>
#include <cstring>

namespace rg::core {

void OutQueue::append_copy(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (head_ < segments_.size()) {
    Segment& tail = segments_.back();
    ByteBlock* block = tail.block.get();
    // Only a block nobody else references, whose end is this segment's end, may grow: a
    // shared block is immutable, and bytes already handed to the kernel are never touched.
    if (block->references() == 1 && tail.offset + tail.length == block->size() &&
        block->room() >= bytes.size()) {
      std::memcpy(block->data() + block->size(), bytes.data(), bytes.size());
      block->grow(bytes.size());
      tail.length += bytes.size();
      tail.boundary = false;
      bytes_ += bytes.size();
      return;
    }
  }
  size_t capacity = std::max(empty() ? kFirstBlockSize : kBlockSize, bytes.size());
  BlockRef block = BlockRef::adopt(ByteBlock::create(capacity));
  std::memcpy(block->data(), bytes.data(), bytes.size());
  block->grow(bytes.size());
  segments_.push_back(Segment{std::move(block), 0, bytes.size()});
  bytes_ += bytes.size();
}

void OutQueue::append_shared(const BlockRef& block, size_t offset, size_t length) {
  if (length == 0) return;
  segments_.push_back(Segment{block, offset, length, true});
  bytes_ += length;
}

void OutQueue::drop_unsent(size_t in_flight) noexcept {
  size_t first = head_ + (in_flight > 0 ? in_flight - 1 : 0);
  for (size_t i = first; i < segments_.size(); ++i) {
    if (!segments_[i].boundary) continue;
    for (size_t j = i + 1; j < segments_.size(); ++j) bytes_ -= segments_[j].length;
    segments_.resize(i + 1);
    return;
  }
}

size_t OutQueue::gather(iovec* iov, size_t max) const noexcept {
  size_t n = 0;
  for (size_t i = head_; i < segments_.size() && n < max; ++i, ++n) {
    const Segment& s = segments_[i];
    iov[n].iov_base = const_cast<std::byte*>(s.block->data() + s.offset);
    iov[n].iov_len = s.length;
  }
  return n;
}

void OutQueue::consume(size_t n) noexcept {
  bytes_ -= n;
  while (n > 0) {
    Segment& s = segments_[head_];
    if (n < s.length) {
      s.offset += n;
      s.length -= n;
      return;
    }
    n -= s.length;
    s.block = BlockRef();
    ++head_;
  }
  if (head_ == segments_.size()) {
    segments_.clear();
    head_ = 0;
    if (segments_.capacity() > 64) segments_.shrink_to_fit();
  } else if (head_ >= 32 && head_ * 2 >= segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(head_));
    head_ = 0;
  }
}

void OutQueue::clear() noexcept {
  segments_.clear();
  segments_.shrink_to_fit();
  head_ = 0;
  bytes_ = 0;
}

}  // namespace rg::core
