#pragma once
// The io_uring instance of one shard, and the start-up probe that decides whether this
// machine can run ringgate at all.

#include <liburing.h>

#include <string>

namespace rg::core {

// What the probe found. Every shard sets its ring up with `setup_flags`.
struct UringSupport {
  unsigned setup_flags = 0;
  std::string setup_flags_text;  // e.g. "SINGLE_ISSUER|DEFER_TASKRUN"
  std::string kernel_release;
  // A sparse registered file table and IORING_OP_FILES_UPDATE, on a kernel that releases a
  // removed entry's file promptly (6.13): connections' requests can name their socket's
  // table entry (core/io/fixed_files.h). If not, why not, for the start-up line.
  bool fixed_files = false;
  std::string no_fixed_files_reason;
};

// Checks, once at start-up, everything the runtime relies on: io_uring not disabled by
// sysctl or seccomp, kernel 6.1 or newer, the opcodes and features we use, provided buffer
// rings. Throws std::runtime_error whose message says what is missing and what to do.
UringSupport probe_io_uring();

// Whether kernel `major`.`minor` frees a removed registered file as soon as the requests
// that used it are done (6.13 on). Before, files are freed in the order of the kernel's
// resource nodes, so one long-running request (a multishot receive) keeps every socket
// removed after it open.
bool releases_removed_files_promptly(int major, int minor) noexcept;

class Ring {
 public:
  // Start-up only: throws std::system_error.
  Ring(unsigned entries, unsigned setup_flags);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  io_uring& raw() noexcept { return ring_; }

  // A free SQE. When the submission queue is full, what is queued is submitted first, so
  // this never fails once the ring exists.
  io_uring_sqe* sqe() noexcept;

 private:
  friend class BufferRing;
  io_uring ring_{};
  // Buffer rings registered through this ring: each must be gone (unregistered through
  // it) before the ring is, or its destructor would use a freed io_uring.
  unsigned buffer_rings_ = 0;
};

}  // namespace rg::core
