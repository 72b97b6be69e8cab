#pragma once
// One shard's mailbox: its end of the fanout bus, shared by every service of the shard.
//
// A bus message names its topic (BusMessage::topic()); each topic has one handler,
// subscribed on every shard before the shards start, which takes the messages of that
// topic from either lane (and their references). Services (the rooms today; sessions and
// the admin API later) also get a turn of the loop. The mailbox is the shard's LoopHook:
// every tick it drains the reply lane, then the request lane unless its own deliveries
// are backed up (how back-pressure travels from a busy owner to the publishers, see
// core/bus/bus.h), runs each service's tick, and flushes what they sent.
//
// Runs on its shard's thread only, but for drained(), read by the stopping thread.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/bus/bus.h"
#include "core/shard/shard.h"

namespace rg::core {

class ShardMailbox final : public LoopHook {
 public:
  // Takes `message` (and its reference), which came from shard `from` on `lane`.
  using Handler = void (*)(void* context, unsigned from, unsigned lane,
                           BusMessage* message) noexcept;

  // A user of the mailbox with work of its own each tick.
  class Service {
   public:
    virtual ~Service() = default;
    // After the rings were drained, before what was sent is flushed.
    virtual void on_tick() noexcept = 0;
    // How long the shard may sleep as far as this service is concerned, in ms (0: work is
    // waiting; kSleepUnbounded: only I/O, timers and the bus matter).
    virtual uint64_t sleep_limit_ms() noexcept { return kSleepUnbounded; }
    // No work of its own is left over (see LoopHook::idle).
    virtual bool idle() const noexcept { return true; }
    // See LoopHook::take_activity.
    virtual bool take_activity() noexcept { return false; }
  };

  static constexpr unsigned kTopics = 16;
  // Messages taken from each ring per tick: enough to batch, few enough to keep the
  // loop's other work (I/O, timers) prompt.
  static constexpr size_t kDrainBudget = 512;
  // Deliveries this shard may have waiting for room in rings before it stops taking new
  // requests from other shards (and its services hold their own senders).
  static constexpr size_t kReplyBacklogLimit = 4 * kBusRingCapacity;

  ShardMailbox(Bus& bus, unsigned shard);
  ShardMailbox(const ShardMailbox&) = delete;
  ShardMailbox& operator=(const ShardMailbox&) = delete;

  // Before the shard starts: messages of `topic` go to `handler`.
  void subscribe(uint8_t topic, Handler handler, void* context) noexcept;
  // Before the shard starts: `service` (outliving the mailbox's use) gets a turn each tick.
  void add_service(Service& service);

  // Hands `message` (and the caller's reference) to shard `to` != self(); never fails,
  // never reorders (see BusPort::send).
  void send(unsigned to, unsigned lane, BusMessage* message) noexcept {
    port_.send(to, lane, message);
  }
  size_t backlog(unsigned lane) const noexcept { return port_.backlog(lane); }
  // What this shard sends is backed up: its services should hold their senders.
  bool congested() const noexcept {
    return port_.backlog(kRequestLane) > 0 || port_.backlog(kReplyLane) > kReplyBacklogLimit;
  }
  unsigned self() const noexcept { return port_.self(); }
  Shard* shard() const noexcept { return port_.shard(); }
  unsigned shards() const noexcept { return port_.shards(); }

  // LoopHook
  void on_tick() noexcept override;
  uint64_t prepare_to_sleep() noexcept override;
  void on_woken() noexcept override { port_.on_woken(); }
  bool idle() const noexcept override;
  bool take_activity() noexcept override;

 private:
  struct Subscription {
    Handler handler = nullptr;
    void* context = nullptr;
  };
  void dispatch(unsigned from, unsigned lane, BusMessage* message) noexcept;

  BusPort port_;
  Subscription topics_[kTopics];
  std::vector<Service*> services_;
  bool more_ = false;       // a ring was left non-empty by the drain budget
  bool throttled_ = false;  // requests not drained: our replies are backed up
};

}  // namespace rg::core
