#pragma once
// One accepted TCP connection. It lives on the shard that accepted it, for its whole life;
// only that shard's thread touches it.
//
// Life cycle: open -> (closing: output flushed or dropped, socket shut down) -> freed once
// no operation the kernel holds for it is still in flight. The slot is then reused with a
// new generation, so late completions for the old connection are ignored.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/io/byte_block.h"
#include "core/io/out_queue.h"
#include "core/net/services.h"
#include "core/shard/timer_wheel.h"

namespace rg::core {

class Shard;
struct ShardStats;
struct SendContext;

class Connection {
 public:
  enum class CloseMode {
    kGraceful,  // stop reading, send what is queued, then shut down
    kAbort,     // drop queued output and shut down now
  };

  // Queues bytes for sending; everything queued in one loop iteration leaves in one sendmsg.
  void send_copy(std::span<const std::byte> bytes) noexcept;
  void send_shared(const BlockRef& block, size_t offset, size_t length) noexcept;
  // What was queued so far ends a protocol frame (copies do not say so by themselves).
  void end_frame() noexcept { out_.mark_boundary(); }
  // Forgets queued frames the kernel has not started on: a peer being cut off for not
  // reading gets its last words (a close frame) now, not after its backlog.
  void discard_unsent() noexcept;

  // Stops reading from the peer until release_reads(), whatever the output queue says:
  // what it sends cannot be handled now (the fanout bus toward a room's owner is full).
  void hold_reads() noexcept;
  void release_reads() noexcept;
  bool reads_held() const noexcept { return held_; }

  void close(CloseMode mode) noexcept;

  // Hand-off: the connection leaves this shard with its socket. Reading stops (bytes that
  // still arrive are kept for the new owner, after `unconsumed`: what the session was
  // handed but has not used), what is queued is sent, then the session is destroyed, the
  // slot freed, and `done(context, fd, carried)` called on this shard's thread with the
  // socket and those bytes, to be given to Shard::adopt() on the new shard. `fd` is -1
  // if the connection closed first or its output did not leave within --close-linger.
  // The connection keeps its place in --max-connections.
  using Detached = void (*)(void* context, int fd, std::vector<std::byte> carried) noexcept;
  void detach(Detached done, void* context, std::span<const std::byte> unconsumed) noexcept;
  // The peer broke the protocol: count it and cut the connection off (after flushing what
  // is queued, which may hold the protocol's error message).
  void fail_protocol() noexcept;

  bool closing() const noexcept { return state_ != State::kOpen; }
  // Names this connection and no later user of its slot (see Shard::find_connection).
  uint64_t id() const noexcept { return uint64_t{generation_} << 32 | index_; }
  size_t queued_bytes() const noexcept { return out_.bytes(); }
  // Bytes queued here plus an estimate of what the kernel holds for the peer, without a
  // system call: once a send has come back short the kernel's send buffer is full, so it
  // holds about SO_SNDBUF (see ShardConfig::sndbuf), until a send is taken whole again.
  size_t backlog_bytes() const noexcept;
  int fd() const noexcept { return fd_; }
  uint64_t last_rx_ms() const noexcept { return last_rx_ms_; }
  Shard& shard() noexcept { return *shard_; }
  ShardStats& stats() noexcept;

  Connection(Shard& shard, uint32_t index) noexcept;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

 private:
  friend class Shard;
  enum class State : uint8_t { kFree, kConnecting, kOpen, kClosing };

  void queued() noexcept;  // after output was added
  static void on_idle_timer(void* self) noexcept;

  Shard* shard_;
  std::unique_ptr<StreamSession> session_;
  OutQueue out_;
  // While open: the idle timeout. While closing gracefully: how long the close may wait
  // for a slow reader before it becomes an abort. (One timer: connections are many.)
  Timer idle_timer_;
  SendContext* send_ = nullptr;       // while a sendmsg is in flight
  StreamService* service_ = nullptr;  // opens the session once an outbound connect succeeds
  uint64_t last_rx_ms_ = 0;           // when the peer last sent anything
  uint64_t close_deadline_ms_ = 0;    // a graceful close becomes an abort at this time
  int fd_ = -1;
  uint32_t index_;
  uint32_t generation_ = 0;
  State state_ = State::kFree;
  bool keep_while_shedding_ = false;  // from a listener kept open through a drain
  CloseMode close_mode_ = CloseMode::kGraceful;
  bool recv_armed_ = false;    // a multishot recv is outstanding
  bool want_recv_ = false;     // false while paused by back-pressure, or closing
  bool cancel_sent_ = false;   // a cancel for the outstanding recv is on its way
  bool dirty_ = false;         // on the shard's flush list
  bool rearm_listed_ = false;  // on the shard's re-arm list
  bool shut_down_ = false;     // shutdown(2) done
  bool connect_inflight_ = false;
  bool held_ = false;         // hold_reads() is in force
  bool kernel_full_ = false;  // the last send came back short: the kernel's buffer is full
  bool abort_ = false;        // close() resets: the kernel's queue for the peer is thrown away
  bool peer_eof_ = false;     // the peer has finished sending (its FIN arrived)
  bool refusing_ = false;     // accepted past the limit only to be told so
  bool fixed_ = false;        // entered in the shard's registered file table at index_
  uint64_t ip_key_ = 0;       // counted in the shard's per-address limits (0: not)
  // While being handed to another shard (detach()); null otherwise, so a connection
  // that never moves pays one pointer for it.
  struct HandOff {
    Detached done;
    void* context;
    std::vector<std::byte> carried;  // for the new owner, in order
  };
  std::unique_ptr<HandOff> hand_off_;
  bool detaching() const noexcept { return hand_off_ != nullptr; }

  // Closing gracefully: what the peer still sends is read and thrown away until its FIN.
  bool discarding_input() const noexcept {
    return state_ == State::kClosing && close_mode_ == CloseMode::kGraceful && !peer_eof_;
  }
};

}  // namespace rg::core
