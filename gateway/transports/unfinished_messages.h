#pragma once
// One shard's unfinished messages: every connection in the middle of a message (a WebSocket
// message or a raw TCP frame that has begun to arrive but is not complete) with the memory
// it holds for it. Two limits keep hostile clients from pinning memory with messages they
// never finish:
//   - a budget for the bytes held over the shard (--assembly-budget): past it, the
//     connection holding the largest unfinished message is cut off (WebSocket 1009, raw
//     TCP `too_large`), until the shard is back under it;
//   - a deadline (--message-timeout): a message must be complete that long after its
//     first byte, or its connection is cut off (WebSocket 1008, raw TCP `timeout`).
// Runs on its shard's thread only. Connections that are between messages are not listed:
// the common case costs one comparison per read.

#include <cstddef>
#include <cstdint>

#include "core/shard/timer_wheel.h"

namespace rg::core {
class Shard;
}

namespace rg::gateway {

struct UnfinishedLimits {
  size_t budget_bytes = 64 << 20;
  uint32_t timeout_ms = 30000;  // 0: no deadline
};

struct UnfinishedStats {
  uint64_t cut_over_budget = 0;
  uint64_t cut_too_slow = 0;
  size_t peak_bytes = 0;
};

class UnfinishedMessages {
 public:
  // A connection's side: the session embeds one and says how to cut itself off. Each
  // cut_off_* must forget() the holder before anything else (closing the connection may
  // destroy the session, and the holder with it).
  class Holder {
   public:
    virtual void cut_off_over_budget() noexcept = 0;
    virtual void cut_off_too_slow() noexcept = 0;
    size_t held_bytes() const noexcept { return held_; }

   protected:
    Holder() = default;
    ~Holder() = default;

   private:
    friend class UnfinishedMessages;
    Holder* prev_ = nullptr;
    Holder* next_ = nullptr;
    uint64_t started_ms_ = 0;
    size_t held_ = 0;
    bool listed_ = false;
  };

  explicit UnfinishedMessages(const UnfinishedLimits& limits) noexcept;
  ~UnfinishedMessages();
  UnfinishedMessages(const UnfinishedMessages&) = delete;
  UnfinishedMessages& operator=(const UnfinishedMessages&) = delete;

  // After `holder`'s parser took bytes: `mid_message` says whether a message is under way,
  // `restarted` whether the one under way began after an earlier one was completed in
  // these bytes (its deadline starts now), `held` the memory it keeps for it. May cut off
  // connections (this one included) when the shard goes over its budget.
  void update(Holder& holder, core::Shard& shard, bool mid_message, bool restarted,
              size_t held) noexcept {
    if (!mid_message && !holder.listed_) return;  // the common case, inline: between messages
    track(holder, shard, mid_message, restarted, held);
  }
  // The holder's connection is gone or between messages.
  void forget(Holder& holder) noexcept;

  size_t held_bytes() const noexcept { return held_; }
  size_t listed() const noexcept { return listed_; }
  const UnfinishedLimits& limits() const noexcept { return limits_; }
  const UnfinishedStats& stats() const noexcept { return stats_; }

 private:
  void track(Holder& holder, core::Shard& shard, bool mid_message, bool restarted,
             size_t held) noexcept;
  static void on_sweep(void* self) noexcept;
  void enforce_budget() noexcept;
  void arm_sweep() noexcept;

  UnfinishedLimits limits_;
  UnfinishedStats stats_;
  Holder* head_ = nullptr;
  size_t held_ = 0;
  size_t listed_ = 0;
  core::Shard* shard_ = nullptr;  // known from the first update (the shard's own thread)
  core::Timer sweep_;             // looks for messages past their deadline
};

}  // namespace rg::gateway
