#pragma once
// An open-loop send schedule: one send every interval, whatever the server does. Sends are
// paced in 1 ms slots (the load shard's timer tick): a send due within a slot is intended
// for the slot's end, and its latency is measured from there, not from when it happened,
// so a stalled server or a late tick shows up in the figures instead of hiding (no
// coordinated omission), while the slot granularity itself does not.

#include <algorithm>
#include <cstdint>

namespace rg::bench {

class OpenLoopSchedule {
 public:
  // `rate` sends per second, the first one due at `first_due_ns`.
  void start(double rate, uint64_t first_due_ns) noexcept {
    interval_ns_ = static_cast<uint64_t>(1e9 / rate);
    next_due_ns_ = first_due_ns;
  }
  uint64_t interval_ns() const noexcept { return interval_ns_; }

  // Calls send(intended_ns) for every send due by `now_ns`.
  template <class Send>
  void send_due(uint64_t now_ns, Send&& send) {
    constexpr uint64_t kSlotNs = 1000000;
    while (next_due_ns_ <= now_ns) {
      uint64_t slot_end = (next_due_ns_ + kSlotNs - 1) / kSlotNs * kSlotNs;
      send(std::min(slot_end, now_ns));
      next_due_ns_ += interval_ns_;
    }
  }

 private:
  uint64_t interval_ns_ = 0;
  uint64_t next_due_ns_ = 0;
};

}  // namespace rg::bench
