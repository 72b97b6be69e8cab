#pragma once
// The fanout bus: how shards hand each other work without a lock.
//
// Every ordered pair of shards has one bounded single-producer single-consumer ring per
// lane, carrying pointers to BusMessages. A message is immutable once sent and carries an
// atomic reference count, so one message can go to several shards and be freed by the
// last one done with it. Two lanes keep the bus free of deadlock: the consumer of lane 1
// (replies, deliveries) never stops draining it, while the consumer of lane 0 (requests)
// may stop while its own lane-1 backlog is large, which is how back-pressure travels from
// a busy room owner back to the publishers.
//
// A full ring never drops a message and never grows: the message waits, in order, in the
// sender's backlog, and the sender stops producing (its publishers' reads pause) while the
// backlog is non-empty. Only the sender's thread touches its backlog.
//
// Waking: a shard about to sleep raises its `sleeping` flag and looks at its rings once
// more; a sender that pushed to a shard looks at the flag after its pushes (both sides
// with sequentially consistent fences) and writes the shard's eventfd only when it was
// asleep, once per tick, so a busy bus costs no system calls.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "core/bus/spsc_ring.h"

namespace rg::core {

class Shard;

// Something handed between shards. Subclasses add the content (gateway/rooms/room_message.h).
// A bus message is self-contained: it holds values and copies of every byte it names,
// never a view into the sender's buffers (they are reused as soon as the sender's tick
// ends) nor a shard-local object such as a BlockRef, whose count is not atomic. Only the
// message's own reference count is shared between threads. (Asserted by
// tests/unit/gateway/rooms/room_message_test.cc under ASan and TSan.)
class BusMessage {
 public:
  // `topic` says which handler of the receiving shard's mailbox takes it (core/bus/mailbox.h).
  explicit BusMessage(uint8_t topic = 0) noexcept : topic_(topic) {}
  BusMessage(const BusMessage&) = delete;
  BusMessage& operator=(const BusMessage&) = delete;

  // Before handing the message to `n` more holders.
  void retain(uint32_t n = 1) noexcept { refs_.fetch_add(n, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  uint32_t references() const noexcept { return refs_.load(std::memory_order_relaxed); }
  uint8_t topic() const noexcept { return topic_; }

 protected:
  virtual ~BusMessage() = default;

 private:
  std::atomic<uint32_t> refs_{1};
  uint8_t topic_;
};

inline constexpr unsigned kBusLanes = 2;
inline constexpr unsigned kRequestLane = 0;  // toward a room's owner: may be throttled
inline constexpr unsigned kReplyLane = 1;    // from a room's owner: always drained
inline constexpr size_t kBusRingCapacity = 1024;

using BusRing = SpscRing<BusMessage*, kBusRingCapacity>;

// The rings and flags of all shards; created before the shards start, outlives them.
class Bus {
 public:
  explicit Bus(unsigned shards);
  ~Bus();
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  unsigned shards() const noexcept { return shards_; }
  // Before the shards start: the shard that `index` wakes.
  void attach(unsigned index, Shard* shard) noexcept { slots_[index].shard = shard; }
  // The shard `index`, once attached (null before, and in tests without shards).
  Shard* shard(unsigned index) const noexcept { return slots_[index].shard; }

  BusRing& ring(unsigned from, unsigned to, unsigned lane) noexcept {
    return *rings_[(static_cast<size_t>(from) * shards_ + to) * kBusLanes + lane];
  }
  std::atomic<bool>& sleeping(unsigned shard) noexcept { return slots_[shard].sleeping; }
  // From any thread: whether every ring looked empty a moment ago (a stopping gateway
  // waits for this, with every shard drained, before it closes connections).
  bool looks_empty() const noexcept;
  void wake(unsigned shard) noexcept;

 private:
  struct alignas(kCacheLine) Slot {
    std::atomic<bool> sleeping{false};
    Shard* shard = nullptr;
  };
  unsigned shards_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::unique_ptr<BusRing>> rings_;  // null where from == to
};

// One shard's end of the bus. Used only on that shard's thread.
class BusPort {
 public:
  BusPort(Bus& bus, unsigned self);
  ~BusPort();  // releases whatever is still in the backlog or the inbound rings
  BusPort(const BusPort&) = delete;
  BusPort& operator=(const BusPort&) = delete;

  unsigned self() const noexcept { return self_; }
  unsigned shards() const noexcept { return bus_.shards(); }
  // The shard this port is for (once attached).
  Shard* shard() const noexcept { return bus_.shard(self_); }

  // Hands `message` (and the caller's reference to it) to shard `to` != self(). Never
  // fails and never reorders: when the ring is full, it waits in the backlog.
  void send(unsigned to, unsigned lane, BusMessage* message) noexcept;
  // Messages of `lane` waiting for room in a ring.
  size_t backlog(unsigned lane) const noexcept { return backlog_size_[lane]; }

  // Calls handler(from, message) for up to `budget` messages per sender on `lane`; the
  // handler takes over the reference. Returns true when messages are left over.
  template <class Handler>
  bool drain(unsigned lane, size_t budget, Handler&& handler) noexcept {
    bool more = false;
    for (unsigned from = 0; from < bus_.shards(); ++from) {
      if (from == self_) continue;
      BusRing& ring = bus_.ring(from, self_, lane);
      BusMessage* message;
      size_t taken = 0;
      while (taken < budget && ring.try_pop(message)) {
        ++taken;
        handler(from, message);
      }
      if (taken == budget && !ring.empty()) more = true;
    }
    return more;
  }

  // End of tick: moves backlog into rings that have room, then wakes every shard that was
  // handed something and is asleep.
  void flush() noexcept;
  // Raises this shard's sleeping flag unless a message is already waiting (on the reply
  // lane, and on the request lane too unless the caller is throttling it); returns whether
  // the shard may sleep.
  bool prepare_to_sleep(bool requests_too) noexcept;
  void on_woken() noexcept;

 private:
  bool inbound_waiting(bool requests_too) noexcept;

  Bus& bus_;
  unsigned self_;
  std::vector<std::array<std::deque<BusMessage*>, kBusLanes>> backlog_;  // per destination
  size_t backlog_size_[kBusLanes] = {};
  std::vector<uint8_t> pushed_;  // per destination: handed something since the last flush
};

}  // namespace rg::core
