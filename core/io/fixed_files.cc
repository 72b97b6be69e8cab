#include "core/io/fixed_files.h"

#include <cerrno>

#include "core/io/user_data.h"

namespace rg::core {

FixedFileTable::FixedFileTable(Ring& ring, uint32_t slots) noexcept : ring_(ring) {
  if (slots == 0) return;
  // Never written where no update was queued: pages of a large table that no connection
  // reaches are never touched.
  fds_ = std::unique_ptr<int[]>(new (std::nothrow) int[slots]);
  if (!fds_) {
    error_ = -ENOMEM;
    return;
  }
  if (int rc = io_uring_register_files_sparse(&ring_.raw(), slots); rc < 0) {
    error_ = rc;
    fds_.reset();
    return;
  }
  slots_ = slots;
}

FixedFileTable::~FixedFileTable() {
  // From 6.13 on (the only kernels it is used on) this does not wait for requests still
  // in flight: each keeps its own file until it completes.
  if (slots_ != 0) io_uring_unregister_files(&ring_.raw());
}

bool FixedFileTable::install(uint32_t slot, int fd) noexcept {
  if (slot >= slots_) return false;
  fds_[slot] = fd;
  queue_update(slot);
  return true;
}

void FixedFileTable::remove(uint32_t slot) noexcept {
  if (slot >= slots_) return;
  fds_[slot] = -1;
  queue_update(slot);
}

void FixedFileTable::queue_update(uint32_t slot) noexcept {
  // If the slot is installed and removed again before the kernel issues either update,
  // both read -1 from the array: the entry ends as it should, and no descriptor closed
  // meanwhile (and perhaps reused by another shard) is ever entered.
  io_uring_sqe* sqe = ring_.sqe();
  io_uring_prep_files_update(sqe, &fds_[slot], 1, static_cast<int>(slot));
  io_uring_sqe_set_data64(sqe, UserData{Op::kFilesUpdate, 0, slot}.pack());
}

}  // namespace rg::core
