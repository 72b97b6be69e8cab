#pragma once
// A shard: one thread pinned to one CPU, with its own io_uring, provided-buffer rings,
// listeners (SO_REUSEPORT: every shard listens on the same ports and the kernel spreads
// connections) and the connections it accepted. Nothing in here is shared with another
// shard except the connection counter that enforces --max-connections.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/io/buffer_ring.h"
#include "core/io/byte_block.h"
#include "core/io/fixed_files.h"
#include "core/io/uring.h"
#include "core/log.h"
#include "core/net/connection.h"
#include "core/net/endpoint.h"
#include "core/net/ip_limits.h"
#include "core/net/services.h"
#include "core/shard/shard_stats.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {

// A UDP receive buffer holds the kernel's io_uring_recvmsg_out header and the sender's
// address in front of the payload.
inline constexpr uint32_t kDatagramBufferOverhead =
    sizeof(io_uring_recvmsg_out) + sizeof(sockaddr_storage);

struct ShardConfig {
  unsigned index = 0;
  int cpu = -1;  // pin to this CPU; -1 leaves the thread unpinned
  unsigned setup_flags = 0;
  unsigned ring_entries = 1024;
  uint32_t rx_buffers = 512;  // power of two
  uint32_t rx_buffer_size = 16 * 1024;
  uint32_t udp_buffers = 256;  // power of two
  uint32_t udp_buffer_size = 2048;
  size_t max_outbuf = 4 * 1024 * 1024;  // reads pause above this much queued output
  uint32_t idle_timeout_ms = 0;         // 0: never
  uint32_t close_linger_ms = 2000;      // how long a graceful close may wait to flush
  // SO_SNDBUF of every TCP connection (0: the kernel's autotuning, up to ~4 MiB): what a
  // peer that stops reading can make the kernel hold for it.
  uint32_t sndbuf = 0;
  // Entries of the registered file table (core/io/fixed_files.h): connections in slots below
  // this name their socket's entry in their requests. 0: every request names the
  // descriptor (--registered-files=off, or a kernel without the table).
  uint32_t fixed_file_slots = 0;
  // Output queued within this long of the last flush waits for the next one, so each send
  // carries more (0: every tick flushes what it queued).
  uint64_t write_delay_ns = 0;
  uint32_t timer_tick_ms = 10;    // resolution of the timing wheel
  uint32_t stop_grace_ms = 1000;  // how long a stop may wait for connections to flush
  // Called on the shard's thread once it has been quiet (no completion) for quiet_ms after
  // some activity: the gateway gives the thread's free memory back to the system.
  void (*on_quiet)() noexcept = nullptr;
  uint32_t quiet_ms = 1000;
  std::atomic<int>* open_connections = nullptr;  // shared by all shards
  int max_connections = 1 << 20;
  // Per client address, this shard's share (listeners kept while shedding are exempt:
  // the admin listener).
  IpLimitConfig ip_limits;
  ShardLog* log = nullptr;  // this shard's end of the process' log (null: none)
};

// One in-flight UDP send: its message header, address and the bytes it keeps alive.
struct UdpSendSlot;

// A UDP socket of one shard, as its DatagramService sees it.
class DatagramSocket {
 public:
  // Sends `payload` to `to`. `keep` owns the memory `payload` lives in (for an echo, the
  // receive buffer itself) and is released when the kernel is done with it. Returns false
  // (and counts a drop) when every send slot is busy: UDP may drop, memory may not grow.
  bool send_to(const sockaddr* to, socklen_t to_length, std::span<const std::byte> payload,
               RxChunk keep) noexcept;
  // Sends a copy of `payload`; `to` may be null on a connected socket. Same limits.
  bool send_copy_to(const sockaddr* to, socklen_t to_length,
                    std::span<const std::byte> payload) noexcept;
  // Sends `length` bytes at `offset` of a shared block (the same bytes to many members).
  bool send_shared_to(const sockaddr* to, socklen_t to_length, const BlockRef& block, size_t offset,
                      size_t length) noexcept;
  Shard& shard() noexcept { return *shard_; }
  ShardStats& stats() noexcept;

 private:
  friend class Shard;
  explicit DatagramSocket(Shard& shard) noexcept : shard_(&shard) {}
  UdpSendSlot* take_slot(const sockaddr* to, socklen_t to_length) noexcept;
  void submit(UdpSendSlot& slot, std::span<const std::byte> payload) noexcept;
  Shard* shard_;
  int fd_ = -1;
  uint32_t index_ = 0;
  std::unique_ptr<DatagramService> service_;
  msghdr recv_msg_{};  // describes the layout of multishot recvmsg buffers
  bool armed_ = false;
};

// Work a shard does besides I/O, once per loop iteration (the fanout bus). Called on the
// shard's thread only.
class LoopHook {
 public:
  virtual ~LoopHook() = default;
  // Every iteration, after completions were handled and before queued output is flushed.
  virtual void on_tick() noexcept = 0;
  // The shard is about to sleep in the kernel: returns the longest it may sleep, in ms
  // (0 when work is already waiting, kSleepUnbounded when only I/O and timers matter).
  virtual uint64_t prepare_to_sleep() noexcept = 0;
  static constexpr uint64_t kSleepUnbounded = ~uint64_t{0};
  // The shard woke up (for any reason).
  virtual void on_woken() noexcept = 0;
  // Nothing is waiting to be handed on: no work of the hook's own is left over and
  // nothing it sent waits for room (read while draining, see Shard::request_drain).
  virtual bool idle() const noexcept { return true; }
  // Whether on_tick() freed or used much memory since the last call (rooms forgotten):
  // the shard then counts as busy, and gives free memory back once quiet again.
  virtual bool take_activity() noexcept { return false; }
};

class Shard {
 public:
  explicit Shard(ShardConfig config);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Before start(): the shard takes ownership of the listening socket `fd`.
  // `keep_while_shedding`: the listener and its connections stay open while the shard
  // sheds (the admin listener: /readyz must answer through a drain).
  void add_stream_listener(int fd, std::unique_ptr<StreamService> service,
                           bool keep_while_shedding = false);
  void add_datagram_socket(int fd, std::unique_ptr<DatagramService> service);
  // Before start(): once running, the shard opens `count` connections to `to` and hands
  // each to `service` (a load generator's side of the runtime). Connections to a 127.x
  // address are spread over source addresses 127.0.0.1, .2, ... when one would run out
  // of ephemeral ports.
  void add_outbound(const Endpoint& to, std::unique_ptr<StreamService> service, uint32_t count);
  // On this shard's thread, once running: one more connection for the outbound `service`
  // (a load generator's member coming back after a drop), handed to it as before.
  void connect_again(StreamService& service) noexcept;
  // Before start(): `hook` (owned by the caller, outliving the shard's thread) runs every
  // iteration of the loop.
  void set_loop_hook(LoopHook* hook) noexcept { hook_ = hook; }
  // From any thread: interrupts the shard's sleep (another shard handed it work).
  void wake() noexcept;

  // Starts the shard's thread. The future is ready once the shard serves (or holds the
  // exception that stopped its set-up).
  std::future<void> start();
  // From any thread: a graceful drain's start. The shard stops accepting (except on the
  // listeners kept) and closes its connections in batches spread evenly over `window_ms`,
  // each session told by on_shutdown (WebSocket 1012), while the rest are served as
  // before. UDP goes on until the stop.
  void request_shed(uint32_t window_ms) noexcept;
  // From any thread: shedding has closed every connection it was to close.
  bool shed() const noexcept { return shed_done_.load(std::memory_order_acquire); }
  // From any thread: the first half of a stop. The shard stops accepting and reading (no
  // new requests) but goes on delivering what is already under way; drained() tells
  // when its hook has nothing left to hand on.
  void request_drain() noexcept;
  // From any thread: whether the shard is draining and its hook was idle at the end of
  // its last loop iteration (reset before each iteration's work).
  bool drained() const noexcept { return quiet_.load(std::memory_order_seq_cst); }
  // From any thread: stop accepting, tell every session the server is stopping (a
  // WebSocket close 1001), close connections (flushing for a short while), exit.
  void request_stop() noexcept;
  void join();

  // On this shard's thread: takes over a connection detached from another shard
  // (Connection::detach), with the bytes it carried, which its new session gets first.
  void adopt(int fd, std::span<const std::byte> carried, StreamService& service) noexcept;

  // The open connection with this Connection::id(), or null once it closed.
  Connection* find_connection(uint64_t id) noexcept;

  unsigned index() const noexcept { return config_.index; }
  const ShardConfig& config() const noexcept { return config_; }
  // The shard's counters: from its own thread, or from others after join().
  ShardStats& stats() noexcept { return stats_; }
  TimerWheel& timers() noexcept { return *timers_; }
  uint64_t now_ms() const noexcept { return now_ms_; }
  // A notable event for the process' log (rate-limited, never blocking: core/log.h).
  void log(LogLevel level, std::string_view event, std::string_view detail) noexcept {
    if (config_.log != nullptr) config_.log->log(level, event, detail, now_ms_ != 0 ? now_ms_ : 1);
  }
  // Whether the log takes a line now: callers that format one check first.
  bool log_open() noexcept {
    return config_.log != nullptr && config_.log->open(now_ms_ != 0 ? now_ms_ : 1);
  }
  // When the loop last woke, in monotonic nanoseconds (the same clock reading as now_ms()).
  uint64_t now_ns() const noexcept { return now_ns_; }

 private:
  friend class Connection;
  friend class DatagramSocket;
  struct Listener;
  struct Outbound;

  void run(std::promise<void>& ready) noexcept;
  void set_up();
  void loop() noexcept;
  void handle(const io_uring_cqe& cqe) noexcept;
  void end_of_tick() noexcept;
  void begin_stop() noexcept;
  void begin_drain() noexcept;
  void begin_shed() noexcept;
  void shed_step() noexcept;
  static void on_shed_timer(void* self) noexcept;
  void stop_listening() noexcept;
  bool accepting(const Listener& listener) const noexcept;
  // Cancels every operation on `fd` (its completions are ignored).
  void cancel_all_on(int fd) noexcept;
  void stop_accepting(Listener& listener) noexcept;
  // Tells the session the server is going (on_shutdown) and closes the connection after
  // what it is owed.
  void close_for_shutdown(Connection& conn) noexcept;

  void arm_accept(Listener& listener) noexcept;
  void on_accept(Listener& listener, const io_uring_cqe& cqe) noexcept;
  void arm_recv(Connection& conn) noexcept;
  void on_recv(Connection* conn, const io_uring_cqe& cqe) noexcept;
  void flush(Connection& conn) noexcept;
  void on_send(Connection& conn, const io_uring_cqe& cqe) noexcept;
  void arm_udp_recv(DatagramSocket& socket) noexcept;
  void on_udp_recv(DatagramSocket& socket, const io_uring_cqe& cqe) noexcept;
  void arm_wake() noexcept;
  void start_connect(Outbound& outbound, uint32_t ordinal) noexcept;
  void on_connect(Connection& conn, const io_uring_cqe& cqe) noexcept;
  void cancel_connect(Connection& conn) noexcept;
  Connection& allocate_connection(int fd) noexcept;
  void open_session(Connection& conn, StreamService& service) noexcept;
  // Out of descriptors: accepts what waits in the listener's backlog with the reserve
  // descriptor, tells each peer it is refused and closes it at once.
  void refuse_without_descriptors(Listener& listener) noexcept;
  // Past the per-address limits: told (the service's address_refusal) and closed, or
  // closed at once; true when refused.
  bool refuse_address(Listener& listener, int fd, uint64_t key) noexcept;
  // An accepted socket counted in open_connections but not to be served: told `answer`
  // (a RefusalSession, while fewer than kMaxRefusing are under way; true) or closed at
  // once (false).
  bool refuse(int fd, std::string_view answer) noexcept;
  // The shard has been quiet for a while: tables that grew with a crowd give memory back.
  void release_idle_memory() noexcept;

  void mark_dirty(Connection& conn) noexcept;
  void list_for_rearm(Connection& conn) noexcept;
  void pause_recv(Connection& conn) noexcept;
  void cancel_recv(Connection& conn) noexcept;
  void shut_down(Connection& conn) noexcept;
  void maybe_free(Connection& conn) noexcept;
  void maybe_detach(Connection& conn) noexcept;
  // Clears the connection's registered file entry (once nothing in flight names it).
  void forget_fixed_file(Connection& conn) noexcept;
  // The slot of a connection that is gone from this shard (closed or handed off).
  void release_slot(Connection& conn) noexcept;
  // Whether a gracefully closed socket must stay open a little longer: the kernel still
  // holds bytes the peer has not taken, and the close linger has not run out.
  bool wait_for_kernel_queue(Connection& conn) noexcept;
  // close() will reset the connection (SO_LINGER 0) and free its kernel queue at once.
  void reset_on_close(Connection& conn) noexcept;
  Connection* connection_for(uint32_t index, uint32_t generation) noexcept;

  ShardConfig config_;
  ShardStats stats_;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<BufferRing> rx_buffers_;
  std::unique_ptr<BufferRing> udp_buffers_;
  std::unique_ptr<FixedFileTable> fixed_files_;  // with stream connections only
  std::unique_ptr<TimerWheel> timers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Outbound>> outbound_;
  std::vector<std::unique_ptr<DatagramSocket>> datagram_sockets_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<uint32_t> free_slots_;
  std::vector<Connection*> dirty_;
  std::vector<Connection*> rearm_;
  std::vector<std::unique_ptr<UdpSendSlot>> udp_send_slots_;
  std::vector<uint32_t> free_udp_send_slots_;
  std::vector<std::unique_ptr<SendContext>> send_pool_;
  size_t kernel_sndbuf_;  // what a full kernel send buffer holds (0: autotuned, not counted)
  size_t live_connections_ = 0;
  IpLimits ip_limits_;
  size_t refusing_ = 0;  // connections accepted past the limit, being told so
  int reserve_fd_ = -1;  // given up for a moment to accept and refuse when out of descriptors
  size_t udp_sends_in_flight_ = 0;
  uint64_t now_ms_ = 0;
  uint64_t now_ns_ = 0;
  uint64_t next_flush_ns_ = 0;  // --write-delay: dirty connections wait until then
  uint64_t last_busy_ms_ = 0;   // the last iteration with a completion
  bool quiet_told_ = true;      // on_quiet has run since last_busy_ms_
  uint64_t stop_deadline_ms_ = 0;
  uint64_t wake_value_ = 0;
  int wake_fd_ = -1;
  bool stopping_ = false;
  bool draining_ = false;
  bool aborted_stop_ = false;
  LoopHook* hook_ = nullptr;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> shed_requested_{false};
  std::atomic<uint32_t> shed_window_ms_{0};
  std::atomic<bool> shed_done_{false};
  bool shedding_ = false;
  uint64_t shed_start_ms_ = 0;
  size_t shed_total_ = 0;   // connections to close, counted when shedding began
  size_t shed_closed_ = 0;  // closed by shedding so far
  Timer shed_timer_{&Shard::on_shed_timer, this};
  std::atomic<bool> quiet_{false};
  std::thread thread_;
};

}  // namespace rg::core
