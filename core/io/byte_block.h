#pragma once
// A reference-counted block of bytes, owned by one shard (the count is not atomic).
//
// Output is queued as (block, offset, length) segments: small writes are copied into the
// tail block of a connection's queue so a tick's worth of them leaves in one system call,
// and a frame encoded once can be queued on many connections by reference.

#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>

namespace rg::core {

class ByteBlock {
 public:
  // A block with room for `capacity` bytes and one reference, held by the caller.
  static ByteBlock* create(size_t capacity) {
    void* memory = ::operator new(sizeof(ByteBlock) + capacity);
    return new (memory) ByteBlock(capacity);
  }

  std::byte* data() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
  const std::byte* data() const noexcept { return reinterpret_cast<const std::byte*>(this + 1); }
  size_t size() const noexcept { return size_; }
  size_t capacity() const noexcept { return capacity_; }
  size_t room() const noexcept { return capacity_ - size_; }
  uint32_t references() const noexcept { return refs_; }

  // Marks `n` more bytes, already written at data() + size(), as part of the block.
  void grow(size_t n) noexcept { size_ += n; }

  void retain() noexcept { ++refs_; }
  void release() noexcept {
    if (--refs_ == 0) {
      this->~ByteBlock();
      ::operator delete(this);
    }
  }

 private:
  explicit ByteBlock(size_t capacity) noexcept : capacity_(capacity) {}

  size_t capacity_;
  size_t size_ = 0;
  uint32_t refs_ = 1;
};

// Owning handle to a ByteBlock reference.
class BlockRef {
 public:
  BlockRef() noexcept = default;
  // Adopts the reference `block` already holds (as returned by ByteBlock::create()).
  static BlockRef adopt(ByteBlock* block) noexcept { return BlockRef(block); }
  static BlockRef share(ByteBlock* block) noexcept {
    block->retain();
    return BlockRef(block);
  }
  BlockRef(const BlockRef& other) noexcept : block_(other.block_) {
    if (block_ != nullptr) block_->retain();
  }
  BlockRef(BlockRef&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  BlockRef& operator=(BlockRef other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~BlockRef() {
    if (block_ != nullptr) block_->release();
  }

  ByteBlock* get() const noexcept { return block_; }
  ByteBlock* operator->() const noexcept { return block_; }
  explicit operator bool() const noexcept { return block_ != nullptr; }

 private:
  explicit BlockRef(ByteBlock* block) noexcept : block_(block) {}
  ByteBlock* block_ = nullptr;
};

}  // namespace rg::core
