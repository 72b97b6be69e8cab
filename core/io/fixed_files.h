#pragma once
// The shard's registered ("fixed") file table: each connection's socket is also entered
// in its io_uring's table, at the connection's slot index, and its receives, sends and
// connects name that entry instead of the descriptor. The kernel then skips looking the
// descriptor up and taking and dropping a reference to its file on every operation
// (fget/fput: about 1.5 % of the gateway's CPU in fanout, see docs/BENCHMARKS.md).
//
// The connection keeps its ordinary descriptor too: shutdown(2), setsockopt(2), ioctl(2)
// and the hand-off to another shard use it, so nothing else changes and a connection
// whose slot is past the table (or a kernel without the table) simply uses the
// descriptor. Entries are set and cleared by IORING_OP_FILES_UPDATE requests queued
// with the connection's other requests (no system call of their own); the kernel reads
// each entry's descriptor from this table's array when it issues the update, in
// submission order, so an operation queued after install() finds the file in place.
//
// The table holds a reference to each file it names: a socket is really closed only once
// its entry is cleared, so remove() must come with every close(2) of an installed one.

#include <cstdint>
#include <memory>

#include "core/io/uring.h"

namespace rg::core {

class FixedFileTable {
 public:
  // Registers a sparse table of `slots` entries with `ring`. A table of no entries (the
  // feature turned off, or refused by the kernel: see ok()) installs nothing.
  FixedFileTable(Ring& ring, uint32_t slots) noexcept;
  // Unregisters the table: the references it holds are dropped now (a closed socket is
  // really closed, a reset sent), not whenever the ring's own teardown gets to them, and
  // updates still queued for it no longer matter.
  ~FixedFileTable();
  FixedFileTable(const FixedFileTable&) = delete;
  FixedFileTable& operator=(const FixedFileTable&) = delete;

  // Whether the kernel took the table, and if not, its error (negative errno).
  bool ok() const noexcept { return slots_ != 0; }
  int error() const noexcept { return error_; }
  uint32_t slots() const noexcept { return slots_; }

  // Enters `fd` at `slot` (queued). Returns false, entering nothing, when the slot is past
  // the table: the caller then uses the descriptor.
  [[nodiscard]] bool install(uint32_t slot, int fd) noexcept;
  // Clears `slot` (queued), dropping the table's reference to the file it held. Call it
  // only once no operation naming the slot is in flight, and before close(2).
  void remove(uint32_t slot) noexcept;

  // Points `sqe` (prepared for descriptor `fd`) at the installed entry `slot` instead.
  static void target(io_uring_sqe* sqe, uint32_t slot) noexcept {
    sqe->fd = static_cast<int32_t>(slot);
    sqe->flags |= IOSQE_FIXED_FILE;
  }

 private:
  void queue_update(uint32_t slot) noexcept;

  Ring& ring_;
  // What each entry should name (-1: nothing), read by the kernel when it issues the
  // update: it must stay put until then, so it is one array, allocated once.
  std::unique_ptr<int[]> fds_;
  uint32_t slots_ = 0;
  int error_ = 0;
};

}  // namespace rg::core
