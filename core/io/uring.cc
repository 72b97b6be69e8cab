#include "core/io/uring.h"

#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace rg::core {

namespace {

struct FlagSet {
  unsigned flags;
  const char* text;
};

// Best first. SINGLE_ISSUER + DEFER_TASKRUN (6.1) run completions only when the shard asks
// for them, on its own thread: no inter-processor interrupts, no task-work preempting the
// loop. COOP_TASKRUN (5.19) is the fallback with the same idea, less strictly.
constexpr FlagSet kFlagChoices[] = {
    {IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
     "SUBMIT_ALL|SINGLE_ISSUER|DEFER_TASKRUN"},
    {IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
     "SUBMIT_ALL|SINGLE_ISSUER|COOP_TASKRUN"},
    {IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN, "SUBMIT_ALL|COOP_TASKRUN"},
};

std::string read_sysctl(const char* path) {
  std::ifstream in(path);
  std::string value;
  if (in) std::getline(in, value);
  return value;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

}  // namespace

UringSupport probe_io_uring() {
  UringSupport support;
  utsname u{};
  uname(&u);
  support.kernel_release = u.release;

  std::string disabled = read_sysctl("/proc/sys/kernel/io_uring_disabled");
  if (disabled == "2") {
    fail(
        "io_uring is disabled on this machine (sysctl kernel.io_uring_disabled=2). "
        "ringgate is built on io_uring; enable it with: sysctl -w kernel.io_uring_disabled=0");
  }

  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2 || major < 6 ||
      (major == 6 && minor < 1)) {
    fail(std::string("kernel ") + u.release +
         " is too old: ringgate needs Linux 6.1 or newer (multishot recv, provided buffer "
         "rings, DEFER_TASKRUN). Upgrade the kernel (Debian 12 ships 6.1).");
  }

  io_uring ring{};
  io_uring_params params{};
  int rc = -EINVAL;
  for (const FlagSet& choice : kFlagChoices) {
    params = io_uring_params{};
    params.flags = choice.flags;
    rc = io_uring_queue_init_params(8, &ring, &params);
    if (rc == 0) {
      support.setup_flags = choice.flags;
      support.setup_flags_text = choice.text;
      break;
    }
    if (rc != -EINVAL) break;  // a flag we asked for is unknown: try the next set
  }
  if (rc == -ENOSYS) {
    fail(
        "io_uring_setup() is not available (ENOSYS): the kernel was built without io_uring, or "
        "a seccomp profile blocks it (Docker's default profile does). Run on a kernel with "
        "CONFIG_IO_URING=y and allow the io_uring_setup, io_uring_enter and io_uring_register "
        "system calls (for Docker: --security-opt seccomp=<profile that allows them>).");
  }
  if (rc == -EPERM || rc == -EACCES) {
    std::string why =
        disabled == "1"
            ? "sysctl kernel.io_uring_disabled=1 limits io_uring to root and the group in "
              "kernel.io_uring_group; run as one of them or set kernel.io_uring_disabled=0"
            : "a seccomp profile or security module denies it; allow the io_uring_setup, "
              "io_uring_enter and io_uring_register system calls";
    fail(std::string("io_uring_setup() was refused (") + std::strerror(-rc) + "): " + why + ".");
  }
  if (rc < 0) {
    fail(std::string("io_uring_setup() failed: ") + std::strerror(-rc) +
         (rc == -ENOMEM ? " (raise the memlock limit: ulimit -l)" : ""));
  }

  // Features and opcodes the runtime uses.
  std::string missing;
  if (!(params.features & IORING_FEAT_EXT_ARG)) missing += " EXT_ARG";
  if (!(params.features & IORING_FEAT_FAST_POLL)) missing += " FAST_POLL";
  if (!(params.features & IORING_FEAT_NODROP)) missing += " NODROP";
  std::unique_ptr<io_uring_probe, void (*)(io_uring_probe*)> probe(io_uring_get_probe_ring(&ring),
                                                                   io_uring_free_probe);
  if (!probe) {
    missing += " PROBE";
  } else {
    const std::pair<int, const char*> ops[] = {
        {IORING_OP_ACCEPT, "ACCEPT"},     {IORING_OP_RECV, "RECV"},
        {IORING_OP_RECVMSG, "RECVMSG"},   {IORING_OP_SENDMSG, "SENDMSG"},
        {IORING_OP_READ, "READ"},         {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
        {IORING_OP_MSG_RING, "MSG_RING"},
    };
    for (auto [op, name] : ops) {
      if (!io_uring_opcode_supported(probe.get(), op)) missing += std::string(" OP_") + name;
    }
  }

  // Provided buffer rings (5.19): register a one-entry ring and take it down again.
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, 4096) == 0) {
    std::memset(mem, 0, 4096);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(mem);
    reg.ring_entries = 1;
    reg.bgid = 0;
    if (io_uring_register_buf_ring(&ring, &reg, 0) == 0) {
      io_uring_unregister_buf_ring(&ring, 0);
    } else {
      missing += " PBUF_RING";
    }
    std::free(mem);
  }
  // Registered files are optional: without them every request names the descriptor.
  // Before 6.13 the kernel frees the files of removed entries in the order of its resource
  // nodes, so a request still running from before a removal (a connection's multishot
  // receive, for as long as the connection lives) keeps every later-removed socket open:
  // closed connections would pile up in the kernel ("io_uring/rsrc: get rid of per-ring
  // io_rsrc_node list", 6.13). Debian 12's 6.1 is such a kernel.
  if (!releases_removed_files_promptly(major, minor)) {
    support.no_fixed_files_reason =
        "not used: before Linux 6.13 a removed entry's socket stays open while older requests "
        "run";
  } else if (!probe || !io_uring_opcode_supported(probe.get(), IORING_OP_FILES_UPDATE) ||
             io_uring_register_files_sparse(&ring, 1) != 0) {
    support.no_fixed_files_reason = "not supported";
  } else {
    support.fixed_files = true;
  }
  io_uring_queue_exit(&ring);

  if (!missing.empty()) {
    fail("this kernel's io_uring lacks features ringgate needs:" + missing + " (kernel " +
         support.kernel_release + "; Linux 6.1 or newer has them all)");
  }
  return support;
}

bool releases_removed_files_promptly(int major, int minor) noexcept {
  return major > 6 || (major == 6 && minor >= 13);
}

Ring::Ring(unsigned entries, unsigned setup_flags) {
  io_uring_params params{};
  params.flags = setup_flags | IORING_SETUP_CQSIZE;
  // Multishot receives post many completions per submission: give the CQ ample room.
  params.cq_entries = entries * 8;
  if (int rc = io_uring_queue_init_params(entries, &ring_, &params); rc < 0) {
    throw std::system_error(-rc, std::generic_category(), "io_uring_queue_init_params");
  }
}

Ring::~Ring() {
  if (buffer_rings_ != 0) {
    std::fprintf(stderr, "ringgate: an io_uring was destroyed before its %u buffer ring(s)\n",
                 buffer_rings_);
    std::abort();  // a programming error: the buffer rings would unregister through it
  }
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  for (int tries = 0; sqe == nullptr; ++tries) {
    // The queue is full: submit it to make room. Interrupted or busy (completions to reap
    // first) are tried again; anything else is an impossible state after the start-up
    // probe (a closed ring, a bad submission), and spinning on it would hang the shard.
    int rc = io_uring_submit(&ring_);
    bool transient = rc == -EINTR || rc == -EAGAIN || rc == -EBUSY;
    if (rc < 0 && (!transient || tries > 100000)) {
      std::fprintf(stderr, "ringgate: io_uring_submit failed with a full queue: %s\n",
                   std::strerror(-rc));
      std::abort();
    }
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

}  // namespace rg::core
